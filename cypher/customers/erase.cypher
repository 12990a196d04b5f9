// Erase a customer ($id): their orders with every order line, their reviews, their stored
// recommendations (RECOMMENDED, every version), their shop events and the customer node. The
// co-purchase counts the orders contributed to are recounted afterwards by the observe pass
// (ingest/removal.py). One row:
// whether the customer existed, and how many orders, reviews and events went with them.
OPTIONAL MATCH (c:Customer {id: $id})
OPTIONAL CALL (c) {
  WITH c WHERE c IS NOT NULL
  OPTIONAL MATCH (c)-[:PLACED]->(o:Order)
  WITH collect(o) AS orders
  FOREACH (o IN orders | DETACH DELETE o)
  RETURN size(orders) AS orders
}
OPTIONAL CALL (c) {
  WITH c WHERE c IS NOT NULL
  OPTIONAL MATCH (c)-[:WROTE]->(r:Review)
  WITH collect(r) AS reviews
  FOREACH (r IN reviews | DETACH DELETE r)
  RETURN size(reviews) AS reviews
}
CALL () {
  MATCH (e:Event {customer_id: $id})
  WITH collect(e) AS events
  FOREACH (e IN events | DETACH DELETE e)
  RETURN size(events) AS events
}
WITH c, c IS NOT NULL AS found, coalesce(orders, 0) AS orders, coalesce(reviews, 0) AS reviews, events
CALL (c) {
  WITH c WHERE c IS NOT NULL
  DETACH DELETE c
}
RETURN found, orders, reviews, events
