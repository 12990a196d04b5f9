// Record one batch of shop events, idempotent on the event id: an id already stored is left as it
// was (a client's retry). $rows: [{index, id, type, ts, product_id, customer_id, session_id,
// recommendation_id, model_version, strategy}]. Events about a product that does not exist are not
// written; their indices come back in `unknown`.
UNWIND $rows AS row
OPTIONAL MATCH (p:Product {id: row.product_id})
CALL (row, p) {
  WITH row, p WHERE p IS NOT NULL
  MERGE (e:Event {id: row.id})
  WITH e, row, p, e.type AS previous
  WHERE previous IS NULL
  SET e.type = row.type, e.ts = datetime(row.ts), e.customer_id = row.customer_id,
      e.session_id = row.session_id, e.recommendation_id = row.recommendation_id,
      e.model_version = row.model_version, e.strategy = row.strategy
  CREATE (e)-[:ON]->(p)
  RETURN count(*) AS created
}
RETURN sum(created) AS created, collect(CASE WHEN p IS NULL THEN row.index END) AS unknown
