// Observe: replace the outgoing BOUGHT_WITH edges of one batch of products, in one transaction.
// $rows: [{id, hash, count, edges: [[other_id, baskets, last_seen_epoch_s, other_count], ...]}]
// $baskets: N, the number of baskets. Per edge a->b with c shared baskets:
//   support = c / N, confidence = c / count(a) = P(b | a), lift = c * N / (count(a) * count(b)).
// The edges and the product's digest commit together, so a killed run is finished by the next.
UNWIND $rows AS row
MATCH (a:Product {id: row.id})
CALL (a) {
  MATCH (a)-[old:BOUGHT_WITH]->(:Product)
  DELETE old
}
SET a.bought_with_hash = row.hash
WITH a, row
CALL (a, row) {
  UNWIND row.edges AS edge
  MATCH (b:Product {id: edge[0]})
  CREATE (a)-[:BOUGHT_WITH {
    baskets: edge[1],
    support: toFloat(edge[1]) / $baskets,
    confidence: toFloat(edge[1]) / row.count,
    lift: toFloat(edge[1]) * $baskets / (toFloat(row.count) * edge[3]),
    last_seen: datetime({epochSeconds: edge[2]})
  }]->(b)
}
RETURN count(*) AS products
