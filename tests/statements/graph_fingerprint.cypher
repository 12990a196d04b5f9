// What a restored database must hold like the one dumped: nodes per label, relationships per type,
// and the migrations applied (schema included).
CALL () {
  MATCH (n) UNWIND labels(n) AS label
  RETURN label AS what, count(*) AS count
  UNION ALL
  MATCH ()-[r]->()
  RETURN type(r) AS what, count(*) AS count
  UNION ALL
  MATCH (p:Product)
  RETURN 'products' AS what, count(p) AS count
}
RETURN what, count
ORDER BY what
