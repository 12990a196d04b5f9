// Benchmark baseline only (bench/bench_ingest.py): one order line in its own transaction, the way a
// naive importer writes. $order_id, $customer_id, $ts, $product_id, $qty, $unit_price.
MERGE (o:Order {id: $order_id})
SET o.ts = datetime($ts)
WITH o
MATCH (p:Product {id: $product_id})
MERGE (o)-[l:CONTAINS]->(p)
SET l.qty = $qty, l.unit_price = $unit_price
WITH o
OPTIONAL MATCH (c:Customer {id: $customer_id})
FOREACH (_ IN CASE WHEN c IS NULL THEN [] ELSE [1] END | MERGE (c)-[:PLACED]->(o))
