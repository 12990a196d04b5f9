// Ingest: one batch of products with their tags and category.
// $rows: [{id, title, description, price, available, tags, tag_source, category_ids, hash}]
// (category_ids: the leaf of each of the product's category paths);
// $owned_sources: the TAGGED sources ingest owns (its stale ones are removed, others kept).
// A product whose ingest_hash equals the row's hash is unchanged and not touched at all, so a
// second run writes nothing. Everything a product owns is written in the same transaction as its
// hash: a batch that did not commit left no hash behind and is redone by the next run.
UNWIND $rows AS row
MERGE (p:Product {id: row.id})
WITH p, row, p.ingest_hash AS previous
WHERE previous IS NULL OR previous <> row.hash
SET p.title = row.title,
    p.description = row.description,
    p.price = row.price,
    p.available = row.available,
    p.ingest_hash = row.hash,
    p.updated_at = datetime()
WITH p, row, previous
CALL (p, row) {
  MATCH (p)-[old:TAGGED]->(t:Tag)
  WHERE old.source IN $owned_sources AND NOT t.name IN row.tags
  DELETE old
}
CALL (p, row) {
  UNWIND row.tags AS name
  MERGE (t:Tag {name: name})
  MERGE (p)-[r:TAGGED]->(t)
  SET r.source = row.tag_source
}
CALL (p, row) {
  MATCH (p)-[old:IN_CATEGORY]->(c:Category)
  WHERE NOT c.id IN row.category_ids
  DELETE old
}
CALL (p, row) {
  UNWIND row.category_ids AS category_id
  MATCH (c:Category {id: category_id})
  MERGE (p)-[:IN_CATEGORY]->(c)
}
RETURN count(*) - count(previous) AS created, count(previous) AS updated
