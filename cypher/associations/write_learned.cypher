// Write one batch of learned edges for a (not yet active) version. CREATE, not MERGE: the write
// removes the version's edges before its first batch and a batch commits whole, so no edge exists
// twice, and checking every source's relationships for one is the costliest part of a MERGE.
UNWIND $rows AS row
MATCH (a:Product {id: row.source}), (b:Product {id: row.target})
CREATE (a)-[:ASSOCIATED {version: $version, kind: row.kind, score: row.score, raw_score: row.raw_score, rank: row.rank}]->(b)
