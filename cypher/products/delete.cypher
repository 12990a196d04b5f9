// Delete products ($ids) with every relationship they have: tags and categories, order lines, their
// observed (BOUGHT_WITH) and learned (ASSOCIATED, every version) associations, customer
// recommendations (RECOMMENDED), and their reviews. Orders and tags stay. Returns the ids deleted;
// an id already gone is simply not in the list (a re-run deletes nothing).
UNWIND $ids AS id
MATCH (p:Product {id: id})
CALL (p) {
  MATCH (p)<-[:REVIEWS]-(r:Review)
  DETACH DELETE r
}
WITH p, p.id AS deleted
DETACH DELETE p
RETURN collect(deleted) AS deleted
