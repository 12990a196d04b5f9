// Write one batch of learned edges for a (not yet active) version.
UNWIND $rows AS row
MATCH (a:Product {id: row.source}), (b:Product {id: row.target})
MERGE (a)-[r:ASSOCIATED {version: $version, kind: row.kind}]->(b)
SET r.score = row.score, r.raw_score = row.raw_score, r.rank = row.rank
