// The active model's learned complements and substitutes of a product, as a graph to look at.
// :param productId => '85123A'
MATCH (m:ModelVersion {status: 'active'})
MATCH (p:Product {id: $productId})-[a:ASSOCIATED {version: m.id}]->(q:Product)
RETURN p, a, q
ORDER BY a.kind, a.rank
LIMIT 40
