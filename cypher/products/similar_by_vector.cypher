// The $first products nearest to a query vector (an embedded free text) through the vector index.
CALL db.index.vector.queryNodes($index, $first, $vector) YIELD node, score
RETURN node.id AS id, node.title AS title, node.description AS description, node.price AS price,
       toString(node.updated_at) AS updated_at, node.embedding_model AS embedding_model,
       true AS has_embedding, score
ORDER BY score DESC, id
