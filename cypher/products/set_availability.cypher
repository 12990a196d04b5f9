// Mark products available or not ($ids, $available); an unavailable product stays in the graph (its
// history still trains models) but no list returns it (service/filters.py). Returns the ids found.
UNWIND $ids AS id
MATCH (p:Product {id: id})
SET p.available = $available, p.updated_at = datetime()
RETURN collect(p.id) AS updated
