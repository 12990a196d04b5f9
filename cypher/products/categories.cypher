// Categories each product is filed under, each with its path from the root (the categories DataLoader).
UNWIND $ids AS id
MATCH (p:Product {id: id})-[:IN_CATEGORY]->(c:Category)
OPTIONAL MATCH chain = (c)-[:SUBCATEGORY_OF*0..10]->(root:Category)
WHERE NOT (root)-[:SUBCATEGORY_OF]->(:Category)
WITH id, c, [n IN reverse(nodes(chain)) | n.name] AS path
ORDER BY c.id
RETURN id, collect({id: c.id, name: c.name, path: coalesce(path, [c.name])}) AS categories
