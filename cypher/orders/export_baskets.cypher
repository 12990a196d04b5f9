// Training export: one page of orders with their distinct products and customer, by order id.
// Keyset pagination ($after, $batch_size); an optional time window [$since, $until) on Order.ts.
MATCH (o:Order)
WHERE o.id > $after
  AND ($since IS NULL OR o.ts >= $since)
  AND ($until IS NULL OR o.ts < $until)
WITH o ORDER BY o.id LIMIT $batch_size
RETURN o.id AS key,
       o.ts AS ts,
       COLLECT { MATCH (c:Customer)-[:PLACED]->(o) RETURN c.id LIMIT 1 }[0] AS customer_id,
       COLLECT { MATCH (o)-[:CONTAINS]->(p:Product) RETURN DISTINCT p.id } AS product_ids
