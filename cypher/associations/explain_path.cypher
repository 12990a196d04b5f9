// The shortest meaningful path between two products: hops over shared tags, shared categories,
// observed co-purchases and the active model's learned associations (never through orders or
// customers, nor a retired model's edges), at most 6 relationships. One row when both products
// exist; nodes and rels are null when no such path exists.
OPTIONAL MATCH (m:ModelVersion {status: 'active'})
WITH head(collect(m.id)) AS version
OPTIONAL MATCH (a:Product {id: $source})
OPTIONAL MATCH (b:Product {id: $target})
OPTIONAL CALL (a, b, version) {
  WITH a, b, version WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b
  MATCH path = SHORTEST 1 (a)(()-[r:TAGGED|IN_CATEGORY|BOUGHT_WITH|ASSOCIATED]-()
                              WHERE r.version IS NULL OR r.version = version){1,6}(b)
  RETURN [n IN nodes(path) | {label: head(labels(n)), id: coalesce(n.id, n.name), name: coalesce(n.title, n.name),
                                 description: n.description, price: n.price,
                                 updated_at: toString(n.updated_at), embedding_model: n.embedding_model,
                                 has_embedding: n.embedding IS NOT NULL}] AS nodes,
         [rel IN relationships(path) | {type: type(rel), baskets: rel.baskets, lift: rel.lift,
                                        confidence: rel.confidence, score: rel.score, kind: rel.kind,
                                        version: rel.version}] AS rels
}
RETURN a IS NOT NULL AS source_found, b IS NOT NULL AS target_found, version, nodes, rels
