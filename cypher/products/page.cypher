// One page of products by id (keyset pagination: ids after $after), optionally filtered by tag and
// category (a category includes its subcategories). Fetches $limit rows; the caller asks one more
// than the page size to learn whether a next page exists.
MATCH (p:Product)
WHERE ($after IS NULL OR p.id > $after)
  AND ($tag IS NULL OR EXISTS { (p)-[:TAGGED]->(:Tag {name: $tag}) })
  AND ($category IS NULL OR EXISTS {
        (p)-[:IN_CATEGORY]->(:Category)-[:SUBCATEGORY_OF*0..10]->(:Category {id: $category}) })
RETURN p.id AS id, p.title AS title, p.description AS description, p.price AS price,
       toString(p.updated_at) AS updated_at, p.embedding_model AS embedding_model,
       p.embedding IS NOT NULL AS has_embedding, null AS score
ORDER BY p.id
LIMIT $limit
