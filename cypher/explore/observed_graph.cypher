// A product and its ten strongest observed co-purchases drawn as a graph (Browser's graph view):
// the edges show baskets, confidence and lift when clicked.
// In Neo4j Browser: :param productId => '85123A'
MATCH (p:Product {id: $productId})-[r:BOUGHT_WITH]->(q:Product)
WITH p, r, q ORDER BY r.lift DESC, r.baskets DESC LIMIT 10
RETURN p, r, q
