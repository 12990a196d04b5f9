// Model versions, newest first, each with its learned edge count. Every filter may be null (no
// filter): the versions whose id is in $ids, with status $status, the first $first of them.
MATCH (m:ModelVersion)
WHERE ($ids IS NULL OR m.id IN $ids) AND ($status IS NULL OR m.status = $status)
WITH m ORDER BY m.created_at DESC, m.id LIMIT coalesce($first, 9223372036854775807)
CALL (m) {
  MATCH ()-[r:ASSOCIATED]->() WHERE r.version = m.id
  RETURN count(r) AS edges
}
RETURN m.id AS id, m.status AS status, toString(m.created_at) AS created_at,
       toString(m.activated_at) AS activated_at, m.params AS params, m.metrics AS metrics,
       m.data_window AS data_window, m.job_id AS job_id, edges
