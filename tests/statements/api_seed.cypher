// Tests and benchmarks of the API only: a whole small graph from lists of maps, in one transaction.
// $categories: [{id, name, parent}], $products: [{id, title, description, price, tags, category, embedding}],
// $customers: [{id, country}], $orders: [{id, customer, ts, products}], $reviews: [{id, product, customer,
// rating, text, ts}], $bought: [{a, b, baskets, support, confidence, lift}] (stored as given, one direction),
// $versions: [{id, status, created_at, activated_at, metrics, params}],
// $associated: [{source, target, version, kind, score, rank}], $jobs: [{id, kind, state, step, done, total,
// error, model_version, created_at}]
CALL () {
  UNWIND $categories AS row
  MERGE (c:Category {id: row.id}) SET c.name = row.name
  WITH c, row WHERE row.parent IS NOT NULL
  MATCH (parent:Category {id: row.parent})
  MERGE (c)-[:SUBCATEGORY_OF]->(parent)
}
CALL () {
  UNWIND $products AS row
  MERGE (p:Product {id: row.id})
  SET p.title = row.title, p.description = row.description, p.price = row.price,
      p.updated_at = datetime('2011-09-01T00:00:00Z')
  FOREACH (_ IN CASE WHEN row.embedding IS NULL THEN [] ELSE [1] END |
    SET p.embedding = row.embedding, p.embedding_model = 'test-model')
  FOREACH (name IN row.tags | MERGE (t:Tag {name: name}) MERGE (p)-[:TAGGED {source: 'catalogue'}]->(t))
  WITH p, row WHERE row.category IS NOT NULL
  MATCH (c:Category {id: row.category})
  MERGE (p)-[:IN_CATEGORY]->(c)
}
CALL () {
  UNWIND $customers AS row
  MERGE (:Customer {id: row.id, country: row.country})
}
CALL () {
  UNWIND $orders AS row
  MERGE (o:Order {id: row.id}) SET o.ts = datetime(row.ts)
  FOREACH (pid IN row.products |
    MERGE (p:Product {id: pid})
    MERGE (o)-[:CONTAINS {qty: 1, unit_price: 1.0}]->(p))
  WITH o, row WHERE row.customer IS NOT NULL
  MATCH (c:Customer {id: row.customer})
  MERGE (c)-[:PLACED]->(o)
}
CALL () {
  UNWIND $reviews AS row
  MATCH (p:Product {id: row.product})
  MERGE (r:Review {id: row.id}) SET r.rating = row.rating, r.text = row.text, r.ts = datetime(row.ts)
  MERGE (r)-[:REVIEWS]->(p)
  WITH r, row WHERE row.customer IS NOT NULL
  MATCH (c:Customer {id: row.customer})
  MERGE (c)-[:WROTE]->(r)
}
CALL () {
  UNWIND $bought AS row
  MATCH (a:Product {id: row.a}), (b:Product {id: row.b})
  MERGE (a)-[r:BOUGHT_WITH]->(b)
  SET r.baskets = row.baskets, r.support = row.support, r.confidence = row.confidence, r.lift = row.lift,
      r.last_seen = datetime('2011-09-01T00:00:00Z')
}
CALL () {
  UNWIND $versions AS row
  MERGE (m:ModelVersion {id: row.id})
  SET m.status = row.status, m.created_at = datetime(row.created_at), m.metrics = row.metrics,
      m.params = row.params, m.activated_at = CASE WHEN row.activated_at IS NULL THEN NULL
                                                   ELSE datetime(row.activated_at) END
}
CALL () {
  UNWIND $associated AS row
  MATCH (a:Product {id: row.source}), (b:Product {id: row.target})
  MERGE (a)-[r:ASSOCIATED {version: row.version, kind: row.kind}]->(b)
  SET r.score = row.score, r.rank = row.rank
}
CALL () {
  UNWIND $jobs AS row
  MERGE (j:Job {id: row.id})
  SET j.kind = row.kind, j.state = row.state, j.step = row.step, j.done = row.done, j.total = row.total,
      j.error = row.error, j.model_version = row.model_version, j.options = '{}',
      j.created_at = datetime(row.created_at), j.updated_at = datetime(row.created_at)
}
RETURN 1 AS done
