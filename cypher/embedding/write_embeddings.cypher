// Store text embeddings with the model and the text hash they were computed from.
UNWIND $rows AS row
MATCH (p:Product {id: row.id})
SET p.embedding = row.embedding, p.embedding_model = $model, p.text_hash = row.text_hash,
    p.embedded_at = datetime()
