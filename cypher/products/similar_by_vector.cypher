// Products nearest to a 384-d vector by cosine similarity, through the vector index.
CALL db.index.vector.queryNodes('product_embedding', $k, $vector) YIELD node, score
RETURN node.id AS id, node.title AS title, score
ORDER BY score DESC
