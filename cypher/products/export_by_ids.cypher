// Incremental path: the products to refresh, with their tags, category path and stored text hash.
UNWIND $ids AS id
MATCH (p:Product {id: id})
RETURN p.id AS key,
       p.title AS title,
       p.description AS description,
       p.price AS price,
       p.text_hash AS text_hash,
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
       ) AS category,
       COLLECT { MATCH (r:Review)-[:REVIEWS]->(p) WHERE r.text IS NOT NULL RETURN r.text ORDER BY r.ts DESC LIMIT 5 }
         AS review_texts
