// Products the active model's complement edges reach from the seed products, each scored by the
// weighted sum of edge scores over the seeds, without the excluded ids
// and the products $filter (service/filters.py) leaves out. $seeds: [{id, weight}].
UNWIND $seeds AS seed
MATCH (s:Product {id: seed.id})-[r:ASSOCIATED]->(q:Product)
WHERE r.version = $version AND r.kind = 'complement' AND NOT q.id IN $exclude
  AND ($filter.include_unavailable OR coalesce(q.available, true))
  AND NOT q.id IN $filter.exclude_ids
  AND ($filter.min_price IS NULL OR q.price >= $filter.min_price)
  AND ($filter.max_price IS NULL OR q.price <= $filter.max_price)
  AND (size($filter.categories) = 0 OR EXISTS {
    MATCH (q)-[:IN_CATEGORY]->(c:Category)
    WHERE any(f IN $filter.categories WHERE c.id = f OR c.id STARTS WITH f + '/') })
  AND NOT EXISTS {
    MATCH (q)-[:IN_CATEGORY]->(c:Category)
    WHERE any(f IN $filter.exclude_categories WHERE c.id = f OR c.id STARTS WITH f + '/') }
WITH q, sum(r.score * seed.weight) AS score, collect(s.id) AS sources
RETURN q.id AS id, q.title AS title, q.description AS description, q.price AS price,
       toString(q.updated_at) AS updated_at, q.embedding_model AS embedding_model,
       q.embedding IS NOT NULL AS has_embedding, score, sources[..5] AS because,
       head([(q)-[:IN_CATEGORY]->(c:Category) | c.id]) AS category
ORDER BY score DESC, id
LIMIT $limit
