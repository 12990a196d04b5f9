// The products of a recommendation list, in the order of $ids (the ranked candidates), without
// those $filter (service/filters.py) leaves out, at most $limit, each with its first category.
UNWIND range(0, size($ids) - 1) AS position
MATCH (p:Product {id: $ids[position]})
WHERE ($filter.include_unavailable OR coalesce(p.available, true))
  AND NOT p.id IN $filter.exclude_ids
  AND ($filter.min_price IS NULL OR p.price >= $filter.min_price)
  AND ($filter.max_price IS NULL OR p.price <= $filter.max_price)
  AND (size($filter.categories) = 0 OR EXISTS {
    MATCH (p)-[:IN_CATEGORY]->(c:Category)
    WHERE any(f IN $filter.categories WHERE c.id = f OR c.id STARTS WITH f + '/') })
  AND NOT EXISTS {
    MATCH (p)-[:IN_CATEGORY]->(c:Category)
    WHERE any(f IN $filter.exclude_categories WHERE c.id = f OR c.id STARTS WITH f + '/') }
WITH p, position ORDER BY position LIMIT $limit
RETURN p.id AS id, p.title AS title, p.description AS description, p.price AS price,
       toString(p.updated_at) AS updated_at, p.embedding_model AS embedding_model,
       p.embedding IS NOT NULL AS has_embedding,
       head([(p)-[:IN_CATEGORY]->(c:Category) | c.id]) AS category
