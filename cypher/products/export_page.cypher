// Training export: one page of products with their tags and category path (root first), by id.
// Keyset pagination: pass the last `key` of the previous page as $after ("" for the first page).
MATCH (p:Product)
WHERE p.id > $after
WITH p ORDER BY p.id LIMIT $batch_size
RETURN p.id AS key,
       p.title AS title,
       p.description AS description,
       p.price AS price,
       p.text_hash AS text_hash,
       p.embedding_model AS embedding_model,
       COLLECT { MATCH (p)-[:TAGGED]->(t:Tag) RETURN t.name ORDER BY t.name } AS tags,
       COALESCE(
         COLLECT {
           MATCH path = (p)-[:IN_CATEGORY]->(:Category)-[:SUBCATEGORY_OF*0..8]->(root:Category)
           WHERE NOT (root)-[:SUBCATEGORY_OF]->(:Category)
           WITH path ORDER BY length(path) DESC LIMIT 1
           UNWIND reverse(nodes(path)[1..]) AS c
           RETURN c.name
         },
         []
       ) AS category
