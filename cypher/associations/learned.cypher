// The active model's learned associations of kind $kind from each product, best first
// (the associations DataLoader). One row per asked id: found is false for an unknown product,
// version is null while no model version is active (then items is empty). $min_score null: no filter.
// $filter: the list's business rules (service/filters.py), applied before the LIMIT.
OPTIONAL MATCH (m:ModelVersion {status: 'active'})
WITH head(collect(m.id)) AS version
UNWIND $ids AS id
OPTIONAL MATCH (p:Product {id: id})
CALL (p, version) {
  WITH p, version WHERE p IS NOT NULL AND version IS NOT NULL
  MATCH (p)-[r:ASSOCIATED]->(q:Product)
  WHERE r.version = version AND r.kind = $kind AND ($min_score IS NULL OR r.score >= $min_score)
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
  WITH r, q ORDER BY r.rank, r.score DESC, q.id LIMIT $first
  RETURN collect({id: q.id, title: q.title, description: q.description, price: q.price,
                  updated_at: toString(q.updated_at), embedding_model: q.embedding_model,
                  has_embedding: q.embedding IS NOT NULL, score: r.score, rank: r.rank}) AS items
}
RETURN id, p IS NOT NULL AS found, version, items
