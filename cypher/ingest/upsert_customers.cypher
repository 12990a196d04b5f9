// Ingest: one batch of customers. $rows: [{id, country, hash}]; unchanged rows are skipped.
UNWIND $rows AS row
MERGE (c:Customer {id: row.id})
WITH c, row, c.ingest_hash AS previous
WHERE previous IS NULL OR previous <> row.hash
SET c.country = row.country, c.ingest_hash = row.hash
RETURN count(*) - count(previous) AS created, count(previous) AS updated
