// Ingest: one batch of whole orders with their lines.
// $rows: [{id, customer_id, ts, hash, lines: [{product_id, qty, unit_price}]}]
// Order.ts is a UTC datetime. A guest order (customer_id null) has no PLACED edge.
// A new order has no edges yet, so its lines are CREATEd (no MERGE scan over popular products);
// a changed order drops its old lines and customer edge first and is rebuilt the same way.
// The order, its lines and its hash commit together, so a killed run leaves whole orders only.
UNWIND $rows AS row
MERGE (o:Order {id: row.id})
WITH o, row, o.ingest_hash AS previous
WHERE previous IS NULL OR previous <> row.hash
SET o.ts = datetime(row.ts), o.ingest_hash = row.hash
WITH o, row, previous
CALL (o) {
  MATCH (o)-[old:CONTAINS]->(:Product)
  DELETE old
}
CALL (o) {
  MATCH (o)<-[old:PLACED]-(:Customer)
  DELETE old
}
CALL (o, row) {
  UNWIND row.lines AS line
  MATCH (p:Product {id: line.product_id})
  CREATE (o)-[:CONTAINS {qty: line.qty, unit_price: line.unit_price}]->(p)
}
CALL (o, row) {
  MATCH (c:Customer {id: row.customer_id})
  CREATE (c)-[:PLACED]->(o)
}
RETURN count(*) - count(previous) AS created, count(previous) AS updated
