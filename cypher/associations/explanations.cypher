// Why two products go together, for many pairs at once (the explanation DataLoader): the observed
// co-purchase statistics between them, and the tags and categories they share.
UNWIND $pairs AS pair
MATCH (a:Product {id: pair.source}), (b:Product {id: pair.target})
OPTIONAL MATCH (a)-[bw:BOUGHT_WITH]->(b)
CALL (a, b) {
  OPTIONAL MATCH (a)-[:TAGGED]->(t:Tag)<-[:TAGGED]-(b)
  WITH t.name AS name ORDER BY name
  RETURN collect(name) AS shared_tags
}
CALL (a, b) {
  OPTIONAL MATCH (a)-[:IN_CATEGORY]->(c:Category)<-[:IN_CATEGORY]-(b)
  WITH c.name AS name ORDER BY name
  RETURN collect(name) AS shared_categories
}
RETURN pair.source AS source, pair.target AS target, bw.baskets AS baskets, bw.support AS support,
       bw.confidence AS confidence, bw.lift AS lift, toString(bw.last_seen) AS last_seen,
       shared_tags, shared_categories
