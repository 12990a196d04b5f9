// Observe: each product's digest of its current BOUGHT_WITH out-edges (null when never observed),
// so that only products whose edges would change are rewritten.
MATCH (p:Product)
RETURN p.id AS id, p.bought_with_hash AS hash
