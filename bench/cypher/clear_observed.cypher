// Remove every observed association (BOUGHT_WITH) with the digests of the products that had them,
// in transactions of 20,000 edges. Auto-commit only (CALL IN TRANSACTIONS). Used by the benchmark
// to measure a full write; `observe` afterwards rebuilds everything.
MATCH (p:Product)-[r:BOUGHT_WITH]->(:Product)
CALL (p, r) {
  DELETE r
  SET p.bought_with_hash = null
} IN TRANSACTIONS OF 20000 ROWS
