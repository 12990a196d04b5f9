// For one product: each learned complement beside the observed co-purchase evidence for it.
// Learned edges with no BOUGHT_WITH behind them are what the model adds beyond counting.
// :param productId => '85123A'
MATCH (m:ModelVersion {status: 'active'})
MATCH (p:Product {id: $productId})-[a:ASSOCIATED {version: m.id, kind: 'complement'}]->(q:Product)
OPTIONAL MATCH (p)-[b:BOUGHT_WITH]->(q)
RETURN a.rank AS rank, q.id AS id, q.title AS title, round(a.score, 4) AS score,
       b.baskets AS shared_baskets, round(b.lift, 2) AS lift
ORDER BY rank
