// Customers by id, a page at a time, each with their order count. With $forward the page follows
// the cursor $customer; otherwise it precedes it and comes in reverse order (the caller turns it
// round). Null cursor: from the start (or the end). $limit is the page size plus one.
MATCH (c:Customer)
WHERE $customer IS NULL OR CASE WHEN $forward THEN c.id > $customer ELSE c.id < $customer END
WITH c ORDER BY CASE WHEN $forward THEN c.id END, CASE WHEN NOT $forward THEN c.id END DESC
LIMIT $limit
RETURN c.id AS id, c.country AS country, COUNT { (c)-[:PLACED]->(:Order) } AS orders
