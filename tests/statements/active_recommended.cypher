// Tests only: the customer recommendations a reader sees (the active version's).
MATCH (m:ModelVersion {status: 'active'})
MATCH (c:Customer)-[r:RECOMMENDED {version: m.id}]->(p:Product)
RETURN c.id AS customer, p.id AS product, r.score AS score, r.rank AS rank, r.reason AS reason
