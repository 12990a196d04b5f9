// Incremental path: replace one product's learned edges of a version (new or edited product).
MATCH (a:Product {id: $source})
OPTIONAL MATCH (a)-[old:ASSOCIATED {version: $version}]->()
DELETE old
WITH DISTINCT a
UNWIND $rows AS row
MATCH (b:Product {id: row.target})
CREATE (a)-[:ASSOCIATED {version: $version, kind: row.kind, score: row.score, raw_score: row.raw_score, rank: row.rank}]->(b)
