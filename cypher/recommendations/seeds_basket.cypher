// What recommendations for a basket start from: the active model version and which basket ids exist.
OPTIONAL MATCH (m:ModelVersion {status: 'active'})
WITH head(collect(m.id)) AS version
CALL () {
  UNWIND $basket AS id
  MATCH (p:Product {id: id})
  RETURN collect(p.id) AS known
}
RETURN version, known
