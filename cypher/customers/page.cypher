// One page of customers by id (keyset: ids after $after), each with their order count; $limit is the
// page size plus one (the caller learns whether a next page exists).
MATCH (c:Customer)
WHERE $after IS NULL OR c.id > $after
WITH c ORDER BY c.id LIMIT $limit
RETURN c.id AS id, c.country AS country, COUNT { (c)-[:PLACED]->(:Order) } AS orders
