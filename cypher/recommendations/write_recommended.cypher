// Write one batch of a (not yet active) version's customer recommendations (CREATE: see
// associations.write_learned). $rows: [{customer, product, score, rank, reason}]
UNWIND $rows AS row
MATCH (c:Customer {id: row.customer}), (p:Product {id: row.product})
CREATE (c)-[:RECOMMENDED {version: $version, score: row.score, rank: row.rank, reason: row.reason}]->(p)
