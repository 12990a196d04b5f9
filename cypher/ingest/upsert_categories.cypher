// Ingest: categories, parents before children (one batch holds a whole level or more).
// $rows: [{id, name, parent_id, hash}]; the id is the slug path ("home-decor/storage"), so a
// category's parent never changes; only its name can. Unchanged rows (same hash) are skipped.
UNWIND $rows AS row
MERGE (c:Category {id: row.id})
WITH c, row, c.ingest_hash AS previous
WHERE previous IS NULL OR previous <> row.hash
SET c.name = row.name, c.ingest_hash = row.hash
WITH c, row, previous
CALL (c, row) {
  MATCH (parent:Category {id: row.parent_id})
  MERGE (c)-[:SUBCATEGORY_OF]->(parent)
}
RETURN count(*) - count(previous) AS created, count(previous) AS updated
