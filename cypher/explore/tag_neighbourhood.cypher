// Products sharing the most tags with a product: the text side of "what is like this".
// :param productId => '85123A'
MATCH (p:Product {id: $productId})-[:TAGGED]->(t:Tag)<-[:TAGGED]-(q:Product)
RETURN q.id AS id, q.title AS title, collect(t.name) AS shared_tags, count(t) AS shared
ORDER BY shared DESC, id
LIMIT 25
