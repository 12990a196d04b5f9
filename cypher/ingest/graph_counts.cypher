// Node and relationship totals (from the count store: constant time), printed after ingest and
// observe so that two runs can be compared at a glance.
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN nodes, relationships
