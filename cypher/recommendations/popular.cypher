// The $limit most ordered products (distinct orders containing them): the cold-start fallback.
MATCH (o:Order)-[:CONTAINS]->(p:Product)
WITH p, count(DISTINCT o) AS orders
ORDER BY orders DESC, p.id
LIMIT $limit
RETURN p.id AS id, p.title AS title, p.description AS description, p.price AS price,
       toString(p.updated_at) AS updated_at, p.embedding_model AS embedding_model,
       p.embedding IS NOT NULL AS has_embedding, toFloat(orders) AS score, [] AS because,
       head([(p)-[:IN_CATEGORY]->(c:Category) | c.id]) AS category
