// Write one batch of a (not yet active) version's customer recommendations.
// $rows: [{customer, product, score, rank, reason}]
UNWIND $rows AS row
MATCH (c:Customer {id: row.customer}), (p:Product {id: row.product})
MERGE (c)-[r:RECOMMENDED {version: $version}]->(p)
SET r.score = row.score, r.rank = row.rank, r.reason = row.reason
