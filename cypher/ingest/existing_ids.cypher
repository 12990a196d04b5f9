// Which of $ids exist as products ($label = 'Product') or customers ('Customer'): what ingest's
// validation asks before accepting order lines and reviews that reference them.
UNWIND $ids AS id
OPTIONAL MATCH (p:Product {id: id}) WHERE $label = 'Product'
OPTIONAL MATCH (c:Customer {id: id}) WHERE $label = 'Customer'
WITH id, coalesce(p, c) AS found
WHERE found IS NOT NULL
RETURN collect(id) AS ids
