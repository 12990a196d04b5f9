// Model versions, newest first (created_at, then id), a page at a time, with status $status (null:
// any), each with its learned edge count. With $forward the page follows the cursor ($at, $id);
// otherwise it precedes it and comes in reverse order (the caller turns it round). Null $at: from
// the start (or the end). $limit is the page size plus one.
MATCH (m:ModelVersion)
WHERE ($status IS NULL OR m.status = $status)
  AND ($at IS NULL OR
       CASE WHEN $forward
         THEN m.created_at < datetime($at) OR (m.created_at = datetime($at) AND m.id > $id)
         ELSE m.created_at > datetime($at) OR (m.created_at = datetime($at) AND m.id < $id)
       END)
WITH m ORDER BY
  CASE WHEN $forward THEN m.created_at END DESC, CASE WHEN $forward THEN m.id END,
  CASE WHEN NOT $forward THEN m.created_at END, CASE WHEN NOT $forward THEN m.id END DESC
LIMIT $limit
CALL (m) {
  MATCH ()-[r:ASSOCIATED]->() WHERE r.version = m.id
  RETURN count(r) AS edges
}
RETURN m.id AS id, m.status AS status, toString(m.created_at) AS created_at,
       toString(m.activated_at) AS activated_at, m.params AS params, m.metrics AS metrics,
       m.data_window AS data_window, m.job_id AS job_id, edges
