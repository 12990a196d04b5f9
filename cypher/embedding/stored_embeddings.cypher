// Training export: one page of stored text embeddings with the model and text hash they came from,
// so only products whose text (or model) changed are embedded again. Keyset pagination by id.
MATCH (p:Product)
WHERE p.id > $after AND p.embedding IS NOT NULL
WITH p ORDER BY p.id LIMIT $batch_size
RETURN p.id AS key, p.embedding AS embedding, p.text_hash AS text_hash, p.embedding_model AS embedding_model
