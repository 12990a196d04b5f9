// Tests only: the learned edges a reader sees (the active version's).
MATCH (m:ModelVersion {status: 'active'})
MATCH (a:Product)-[r:ASSOCIATED {version: m.id}]->(b:Product)
RETURN a.id AS source, b.id AS target, r.score AS score, r.rank AS rank, r.kind AS kind
