// What the customer model answers from (graph_schema/recommended.py): the active version (and its
// metrics, which hold the query-time weights), the customer's RECOMMENDED edges of that version,
// their purchase history per product (order times in epoch seconds), the newest order in the shop
// (the "now" of "last ordered N days ago"), the basket's complements under the version, and the
// basket's observed co-purchases (BOUGHT_WITH) with each edge's baskets and lift over the largest of
// its basket product's edges.
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
  UNWIND $basket AS id
  MATCH (s:Product {id: id})-[r:BOUGHT_WITH]->(q:Product)
  WITH s, collect({id: q.id, baskets: toFloat(r.baskets), confidence: r.confidence, lift: r.lift}) AS edges
  WITH s, edges,
       reduce(top = 0.0, e IN edges | CASE WHEN e.baskets > top THEN e.baskets ELSE top END) AS top_baskets,
       reduce(top = 0.0, e IN edges | CASE WHEN e.lift > top THEN e.lift ELSE top END) AS top_lift
  UNWIND edges AS e
  RETURN collect({id: e.id, via: s.id, via_title: s.title, cobought: e.baskets / top_baskets,
                  confidence: e.confidence, lift: e.lift / top_lift}) AS cobought
}
CALL () {
  OPTIONAL MATCH (o:Order) WHERE o.ts IS NOT NULL
  WITH o ORDER BY o.ts DESC LIMIT 1
  RETURN o.ts.epochSeconds AS latest
}
RETURN m.id AS version, m.metrics AS metrics, c IS NOT NULL AS found, stored, history, complements,
       cobought, latest
