// Customers by id: one row per id that exists, in any order (the customer DataLoader).
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN c.id AS id, c.country AS country, COUNT { (c)-[:PLACED]->(:Order) } AS orders
