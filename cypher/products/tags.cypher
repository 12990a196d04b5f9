// Tag names of each product (the tags DataLoader), sorted by name.
UNWIND $ids AS id
MATCH (p:Product {id: id})-[:TAGGED]->(t:Tag)
WITH id, t.name AS name
ORDER BY name
RETURN id, collect(name) AS tags
