// What the customer model answers from (graph_schema/recommended.py): the active version (and its
// metrics, which hold the query-time weights), the customer's RECOMMENDED edges of that version,
// their purchase history per product (order times in epoch seconds), the newest order in the shop
// (the "now" of "last ordered N days ago") and the basket's complements under the version.
OPTIONAL MATCH (m:ModelVersion {status: 'active'})
WITH head(collect(m)) AS m
OPTIONAL MATCH (c:Customer {id: $customer_id})
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
CALL (m) {
  WITH m WHERE m IS NOT NULL
  UNWIND $basket AS id
  MATCH (s:Product {id: id})-[r:ASSOCIATED]->(q:Product)
  WHERE r.version = m.id AND r.kind = 'complement'
  RETURN collect({id: q.id, score: r.score, via: s.id, via_title: s.title}) AS complements
}
CALL () {
  OPTIONAL MATCH (o:Order) WHERE o.ts IS NOT NULL
  WITH o ORDER BY o.ts DESC LIMIT 1
  RETURN o.ts.epochSeconds AS latest
}
RETURN m.id AS version, m.metrics AS metrics, c IS NOT NULL AS found, stored, history, complements,
       latest
