// The active model's learned associations of kind $kind from each product, best first
// (the associations DataLoader). One row per asked id: found is false for an unknown product,
// version is null while no model version is active (then items is empty). $min_score null: no filter.
OPTIONAL MATCH (m:ModelVersion {status: 'active'})
WITH head(collect(m.id)) AS version
UNWIND $ids AS id
OPTIONAL MATCH (p:Product {id: id})
CALL (p, version) {
  WITH p, version WHERE p IS NOT NULL AND version IS NOT NULL
  MATCH (p)-[r:ASSOCIATED]->(q:Product)
  WHERE r.version = version AND r.kind = $kind AND ($min_score IS NULL OR r.score >= $min_score)
  WITH r, q ORDER BY r.rank, r.score DESC, q.id LIMIT $first
  RETURN collect({id: q.id, title: q.title, description: q.description, price: q.price,
                  updated_at: toString(q.updated_at), embedding_model: q.embedding_model,
                  has_embedding: q.embedding IS NOT NULL, score: r.score, rank: r.rank}) AS items
}
RETURN id, p IS NOT NULL AS found, version, items
