// A product with its tags, category path, order count and review count.
// In Neo4j Browser: :param productId => '85123A'
MATCH (p:Product {id: $productId})
OPTIONAL MATCH (p)-[:TAGGED]->(t:Tag)
WITH p, collect(DISTINCT t.name) AS tags
OPTIONAL MATCH (p)-[:IN_CATEGORY]->(c:Category)
OPTIONAL MATCH path = (c)-[:SUBCATEGORY_OF*0..]->(root:Category) WHERE NOT (root)-[:SUBCATEGORY_OF]->()
WITH p, tags, [n IN nodes(path) | n.name] AS category_path
OPTIONAL MATCH (o:Order)-[:CONTAINS]->(p)
WITH p, tags, category_path, count(DISTINCT o) AS orders
OPTIONAL MATCH (r:Review)-[:REVIEWS]->(p)
RETURN p.id AS id, p.title AS title, p.price AS price, tags, reverse(category_path) AS category,
       orders, count(r) AS reviews, p.embedding IS NOT NULL AS embedded
