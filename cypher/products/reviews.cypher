// Review summary and the newest $first reviews of each product (the reviews DataLoader).
UNWIND $ids AS id
MATCH (p:Product {id: id})
CALL (p) {
  OPTIONAL MATCH (p)<-[:REVIEWS]-(r:Review)
  OPTIONAL MATCH (r)<-[:WROTE]-(c:Customer)
  WITH r, c
  ORDER BY r.ts DESC, r.id
  RETURN count(r) AS count, avg(r.rating) AS average_rating,
         collect(CASE WHEN r IS NULL THEN NULL ELSE
           {id: r.id, rating: r.rating, text: r.text, ts: toString(r.ts), customer_id: c.id} END)[..$first]
           AS reviews
}
RETURN id, count, average_rating, reviews
