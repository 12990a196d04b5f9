// Relationships of any type touching a product with id $id, and reviews left without a product.
CALL () {
  MATCH (p:Product {id: $id}) RETURN count(p) AS nodes
}
CALL () {
  MATCH ()-[r]-() WHERE startNode(r).id = $id OR endNode(r).id = $id RETURN count(r) AS relationships
}
CALL () {
  MATCH (r:Review) WHERE NOT (r)-[:REVIEWS]->(:Product) RETURN count(r) AS orphan_reviews
}
RETURN nodes, relationships, orphan_reviews
