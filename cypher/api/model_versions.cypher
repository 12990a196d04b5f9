// Model versions, newest first, optionally of one status, with their learned edge counts.
MATCH (m:ModelVersion)
WHERE $status IS NULL OR m.status = $status
WITH m ORDER BY m.created_at DESC, m.id LIMIT $first
CALL (m) {
  MATCH ()-[r:ASSOCIATED]->() WHERE r.version = m.id
  RETURN count(r) AS edges
}
RETURN m.id AS id, m.status AS status, toString(m.created_at) AS created_at,
       toString(m.activated_at) AS activated_at, m.params AS params, m.metrics AS metrics,
       m.data_window AS data_window, m.job_id AS job_id, edges
