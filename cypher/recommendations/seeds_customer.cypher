// What recommendations for a customer start from: the active model version, whether the customer
// exists, and the products they bought, most recent first, each weighted by how often it was bought.
OPTIONAL MATCH (m:ModelVersion {status: 'active'})
WITH head(collect(m.id)) AS version
OPTIONAL MATCH (c:Customer {id: $customer_id})
CALL (c) {
  WITH c WHERE c IS NOT NULL
  MATCH (c)-[:PLACED]->(o:Order)-[:CONTAINS]->(s:Product)
  WITH s, max(o.ts) AS last_ts, count(o) AS times
  ORDER BY last_ts DESC, s.id
  RETURN collect({id: s.id, weight: toFloat(times)}) AS history
}
RETURN version, c IS NOT NULL AS found, history
