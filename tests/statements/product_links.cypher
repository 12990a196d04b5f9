// Tests only: one product's title, price, tag names and category ids.
MATCH (p:Product {id: $productId})
RETURN p.title AS title, p.price AS price,
       COLLECT { MATCH (p)-[:TAGGED]->(t:Tag) RETURN t.name ORDER BY t.name } AS tags,
       COLLECT { MATCH (p)-[:IN_CATEGORY]->(c:Category) RETURN c.id } AS categories
