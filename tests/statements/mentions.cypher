// Nodes and relationships holding a property equal to $value (the erasure check: an erased id must
// appear nowhere in the graph).
CALL () {
  MATCH (n) WHERE any(key IN keys(n) WHERE n[key] = $value) RETURN count(n) AS nodes
}
CALL () {
  MATCH ()-[r]->() WHERE any(key IN keys(r) WHERE r[key] = $value) RETURN count(r) AS relationships
}
RETURN nodes, relationships
