// Products observed in the same baskets as the seed products (BOUGHT_WITH), each scored by the
// weighted sum of confidences over the seeds, without the excluded ids. $seeds: [{id, weight}].
UNWIND $seeds AS seed
MATCH (s:Product {id: seed.id})-[r:BOUGHT_WITH]->(q:Product)
WHERE NOT q.id IN $exclude
WITH q, sum(r.confidence * seed.weight) AS score, collect(s.id) AS sources
RETURN q.id AS id, q.title AS title, q.description AS description, q.price AS price,
       toString(q.updated_at) AS updated_at, q.embedding_model AS embedding_model,
       q.embedding IS NOT NULL AS has_embedding, score, sources[..5] AS because,
       head([(q)-[:IN_CATEGORY]->(c:Category) | c.id]) AS category
ORDER BY score DESC, id
LIMIT $limit
