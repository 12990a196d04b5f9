// A product's strongest observed co-purchases (BOUGHT_WITH), strongest lift first.
// baskets: orders holding both; support: baskets / all baskets; confidence: P(other | this);
// lift > 1: bought together more often than chance. Computed by `affinity associations observe`.
// In Neo4j Browser: :param productId => '85123A'
MATCH (p:Product {id: $productId})-[r:BOUGHT_WITH]->(q:Product)
RETURN q.id AS id, q.title AS title, r.baskets AS baskets, round(r.support, 5) AS support,
       round(r.confidence, 3) AS confidence, round(r.lift, 2) AS lift, toString(r.last_seen) AS last_seen
ORDER BY r.lift DESC, r.baskets DESC, id
LIMIT 25
