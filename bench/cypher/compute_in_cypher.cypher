// Benchmark alternative only (bench/bench_ingest.py): count co-purchases inside Neo4j instead of
// in Python, and write the outgoing BOUGHT_WITH edges of one batch of products ($ids).
// Measured slower than counting in Python (see docs/benchmarks.md), so `observe` does not use it.
UNWIND $ids AS id
MATCH (a:Product {id: id})
WITH a, COUNT { (a)<-[:CONTAINS]-(:Order) } AS na
CALL (a) {
  MATCH (a)-[old:BOUGHT_WITH]->(:Product)
  DELETE old
}
CALL (a, na) {
  MATCH (a)<-[:CONTAINS]-(o:Order)-[:CONTAINS]->(b:Product)
  WHERE b <> a
  WITH b, count(*) AS shared, max(o.ts) AS last_seen
  WHERE shared >= $min_support
  WITH b, shared, last_seen, COUNT { (b)<-[:CONTAINS]-(:Order) } AS nb
  CREATE (a)-[:BOUGHT_WITH {baskets: shared, support: toFloat(shared) / $baskets,
                            confidence: toFloat(shared) / na, lift: toFloat(shared) * $baskets / (toFloat(na) * nb),
                            last_seen: last_seen}]->(b)
}
RETURN count(*) AS products
