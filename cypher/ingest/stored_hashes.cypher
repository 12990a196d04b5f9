// Ingest: the stored ingest_hash of the nodes among $ids with label $label ('Product', 'Customer',
// 'Order' or 'Review'); rows whose hash is already stored are not sent again (a re-run is cheap).
UNWIND $ids AS id
OPTIONAL MATCH (p:Product {id: id}) WHERE $label = 'Product'
OPTIONAL MATCH (c:Customer {id: id}) WHERE $label = 'Customer'
OPTIONAL MATCH (o:Order {id: id}) WHERE $label = 'Order'
OPTIONAL MATCH (r:Review {id: id}) WHERE $label = 'Review'
WITH id, coalesce(p, c, o, r) AS node
WHERE node IS NOT NULL
RETURN id, node.ingest_hash AS hash
