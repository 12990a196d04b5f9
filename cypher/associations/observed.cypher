// Observed co-purchases (BOUGHT_WITH) from each product, by confidence then lift (the associations
// DataLoader for kind OBSERVED). The score is the confidence P(other | this); rank is given by order.
// $filter: the list's business rules (service/filters.py), applied before the LIMIT.
UNWIND $ids AS id
OPTIONAL MATCH (p:Product {id: id})
CALL (p) {
  WITH p WHERE p IS NOT NULL
  MATCH (p)-[r:BOUGHT_WITH]->(q:Product)
  WHERE ($min_score IS NULL OR r.confidence >= $min_score)
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
  WITH r, q ORDER BY r.confidence DESC, r.lift DESC, q.id LIMIT $first
  RETURN collect({id: q.id, title: q.title, description: q.description, price: q.price,
                  updated_at: toString(q.updated_at), embedding_model: q.embedding_model,
                  has_embedding: q.embedding IS NOT NULL, score: r.confidence, rank: null}) AS items
}
RETURN id, p IS NOT NULL AS found, null AS version, items
