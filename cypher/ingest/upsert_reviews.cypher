// Ingest: one batch of reviews. $rows: [{id, product_id, customer_id, rating, text, ts, hash}]
// (:Customer)-[:WROTE]->(:Review)-[:REVIEWS]->(:Product); an anonymous review has no WROTE edge.
UNWIND $rows AS row
MERGE (r:Review {id: row.id})
WITH r, row, r.ingest_hash AS previous
WHERE previous IS NULL OR previous <> row.hash
SET r.text = row.text, r.rating = row.rating, r.ts = datetime(row.ts), r.ingest_hash = row.hash
WITH r, row, previous
CALL (r) {
  MATCH (r)-[old:REVIEWS]->(:Product)
  DELETE old
}
CALL (r) {
  MATCH (r)<-[old:WROTE]-(:Customer)
  DELETE old
}
CALL (r, row) {
  MATCH (p:Product {id: row.product_id})
  CREATE (r)-[:REVIEWS]->(p)
}
CALL (r, row) {
  MATCH (c:Customer {id: row.customer_id})
  CREATE (c)-[:WROTE]->(r)
}
RETURN count(*) - count(previous) AS created, count(previous) AS updated
