// Products by id (the product DataLoader): one row per id that exists, in any order.
UNWIND $ids AS id
MATCH (p:Product {id: id})
RETURN p.id AS id, p.title AS title, p.description AS description, p.price AS price,
       toString(p.updated_at) AS updated_at, p.embedding_model AS embedding_model,
       p.embedding IS NOT NULL AS has_embedding,
       coalesce(p.available, true) AS available
