// How many associations of $kind each product has before and after the $min_score filter (null: no
// filter): learned edges of the active version, or observed co-purchases for kind 'observed'.
// Tells a client why `associations(first: n)` answered fewer than n.
OPTIONAL MATCH (m:ModelVersion {status: 'active'})
WITH head(collect(m.id)) AS version
UNWIND $ids AS id
OPTIONAL MATCH (p:Product {id: id})
CALL (p, version) {
  OPTIONAL MATCH (p)-[r:ASSOCIATED]->(:Product)
  WHERE $kind <> 'observed' AND r.version = version AND r.kind = $kind
  RETURN collect(r.score) AS learned
}
CALL (p) {
  OPTIONAL MATCH (p)-[o:BOUGHT_WITH]->(:Product)
  WHERE $kind = 'observed'
  RETURN collect(o.confidence) AS observed
}
WITH id, p, learned + observed AS scores
RETURN id, p IS NOT NULL AS found, size(scores) AS stored,
       size([s IN scores WHERE $min_score IS NULL OR s >= $min_score]) AS matching
