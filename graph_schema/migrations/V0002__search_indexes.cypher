// Semantic search over product text embeddings (all-MiniLM-L6-v2: 384 dimensions, cosine).
CREATE VECTOR INDEX product_embedding IF NOT EXISTS
FOR (p:Product) ON (p.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}};
// Keyword search over titles and descriptions.
CREATE FULLTEXT INDEX product_text IF NOT EXISTS FOR (p:Product) ON EACH [p.title, p.description];
