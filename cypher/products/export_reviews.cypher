// Training export: one page of products that have reviews, with their newest review texts.
// Keyset pagination on the product id ($after, $batch_size); at most $max_reviews texts each.
MATCH (p:Product)
WHERE p.id > $after AND EXISTS { (:Review)-[:REVIEWS]->(p) }
WITH p ORDER BY p.id LIMIT $batch_size
RETURN p.id AS key,
       COLLECT {
         MATCH (r:Review)-[:REVIEWS]->(p)
         WHERE r.text IS NOT NULL
         RETURN r.text ORDER BY r.ts DESC LIMIT $max_reviews
       } AS texts
