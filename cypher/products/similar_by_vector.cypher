// The $first products nearest to a query vector (an embedded free text) through the vector index,
// among its $k nearest, without those $filter (service/filters.py) leaves out. scanned is how many
// neighbours the index gave: the caller widens $k while the filter leaves fewer than $first of a
// full $k.
CALL db.index.vector.queryNodes($index, $k, $vector) YIELD node, score
WITH collect([node, score]) AS found
CALL (found) {
  UNWIND found AS hit
  WITH hit[0] AS p, hit[1] AS score
  WHERE ($filter.include_unavailable OR coalesce(p.available, true))
    AND NOT p.id IN $filter.exclude_ids
    AND ($filter.min_price IS NULL OR p.price >= $filter.min_price)
    AND ($filter.max_price IS NULL OR p.price <= $filter.max_price)
    AND (size($filter.categories) = 0 OR EXISTS {
      MATCH (p)-[:IN_CATEGORY]->(c:Category)
      WHERE any(f IN $filter.categories WHERE c.id = f OR c.id STARTS WITH f + '/') })
    AND NOT EXISTS {
      MATCH (p)-[:IN_CATEGORY]->(c:Category)
      WHERE any(f IN $filter.exclude_categories WHERE c.id = f OR c.id STARTS WITH f + '/') }
  WITH p, score ORDER BY score DESC, p.id LIMIT $first
  RETURN collect({id: p.id, title: p.title, description: p.description, price: p.price,
                  updated_at: toString(p.updated_at), embedding_model: p.embedding_model,
                  has_embedding: true, score: score}) AS hits
}
RETURN size(found) AS scanned, hits
