// The $first products nearest to a product's stored text embedding ($index: the vector index).
// One row when the product exists: has_embedding tells a product not embedded yet from no neighbours.
MATCH (p:Product {id: $id})
CALL (p) {
  WITH p WHERE p.embedding IS NOT NULL
  CALL db.index.vector.queryNodes($index, $first + 1, p.embedding) YIELD node, score
  WITH node, score WHERE node <> p
  ORDER BY score DESC, node.id
  RETURN collect({id: node.id, title: node.title, description: node.description, price: node.price,
                  updated_at: toString(node.updated_at), embedding_model: node.embedding_model,
                  has_embedding: true, score: score})[..$first] AS hits
}
RETURN p.embedding IS NOT NULL AS has_embedding, hits
