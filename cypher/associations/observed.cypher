// Observed co-purchases (BOUGHT_WITH) from each product, by confidence then lift (the associations
// DataLoader for kind OBSERVED). The score is the confidence P(other | this); rank is given by order.
UNWIND $ids AS id
OPTIONAL MATCH (p:Product {id: id})
CALL (p) {
  WITH p WHERE p IS NOT NULL
  MATCH (p)-[r:BOUGHT_WITH]->(q:Product)
  WHERE $min_score IS NULL OR r.confidence >= $min_score
  WITH r, q ORDER BY r.confidence DESC, r.lift DESC, q.id LIMIT $first
  RETURN collect({id: q.id, title: q.title, description: q.description, price: q.price,
                  updated_at: toString(q.updated_at), embedding_model: q.embedding_model,
                  has_embedding: q.embedding IS NOT NULL, score: r.confidence, rank: null}) AS items
}
RETURN id, p IS NOT NULL AS found, null AS version, items
