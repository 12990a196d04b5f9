// What the customer model answers from, for many customers at once and without a basket
// (recommendationsFor: one round trip however many customers). One row per asked id, shaped as
// recommendations.customer_model's row: the active version and its metrics, the customer's stored
// RECOMMENDED edges of that version, their purchase history per product, and the newest order's time.
OPTIONAL MATCH (m:ModelVersion {status: 'active'})
WITH head(collect(m)) AS m
CALL () {
  OPTIONAL MATCH (o:Order) WHERE o.ts IS NOT NULL
  WITH o ORDER BY o.ts DESC LIMIT 1
  RETURN o.ts.epochSeconds AS latest
}
UNWIND $customer_ids AS customer_id
OPTIONAL MATCH (c:Customer {id: customer_id})
CALL (c, m) {
  WITH c, m WHERE c IS NOT NULL AND m IS NOT NULL
  MATCH (c)-[r:RECOMMENDED]->(p:Product)
  WHERE r.version = m.id
  RETURN collect({id: p.id, score: r.score, reason: r.reason}) AS stored
}
CALL (c) {
  WITH c WHERE c IS NOT NULL
  MATCH (c)-[:PLACED]->(o:Order)-[:CONTAINS]->(p:Product)
  WITH p, collect(o.ts.epochSeconds) AS times
  RETURN collect({id: p.id, times: times}) AS history
}
RETURN customer_id, m.id AS version, m.metrics AS metrics, c IS NOT NULL AS found, stored, history,
       [] AS complements, [] AS cobought, latest
