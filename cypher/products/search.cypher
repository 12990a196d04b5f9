// One page of a full-text search over titles and descriptions ($index: the fulltext index), best
// first. Keyset pagination on (score, id): rows after ($after_score, $after_id).
CALL db.index.fulltext.queryNodes($index, $search) YIELD node AS p, score
WHERE ($after_id IS NULL OR score < $after_score OR (score = $after_score AND p.id > $after_id))
  AND ($tag IS NULL OR EXISTS { (p)-[:TAGGED]->(:Tag {name: $tag}) })
  AND ($category IS NULL OR EXISTS {
        (p)-[:IN_CATEGORY]->(:Category)-[:SUBCATEGORY_OF*0..10]->(:Category {id: $category}) })
RETURN p.id AS id, p.title AS title, p.description AS description, p.price AS price,
       toString(p.updated_at) AS updated_at, p.embedding_model AS embedding_model,
       p.embedding IS NOT NULL AS has_embedding, score
ORDER BY score DESC, id
LIMIT $limit
