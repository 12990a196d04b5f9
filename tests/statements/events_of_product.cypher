// Tests only: the shop events about a product, newest first.
MATCH (e:Event)-[:ON]->(:Product {id: $product_id})
RETURN e.type AS type, e.customer_id AS customer_id, e.model_version AS model_version,
       e.strategy AS strategy, e.recommendation_id AS recommendation_id
ORDER BY e.ts DESC
