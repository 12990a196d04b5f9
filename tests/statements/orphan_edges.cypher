// Tests only: learned edges no reader or prune can account for, by version: edges whose version has
// no ModelVersion node, and edges still held by a failed or pruned version. Must be none.
MATCH ()-[r:ASSOCIATED]->()
WITH r.version AS version, count(r) AS edges
OPTIONAL MATCH (m:ModelVersion {id: version})
WITH version, edges, m
WHERE m IS NULL OR m.status IN ['failed', 'pruned']
RETURN version, edges, m.status AS status
ORDER BY version
