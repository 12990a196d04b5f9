// Model versions by id (the model version DataLoader), and the active one when $active is true.
MATCH (m:ModelVersion)
WHERE m.id IN $ids OR ($active AND m.status = 'active')
CALL (m) {
  MATCH ()-[r:ASSOCIATED]->() WHERE r.version = m.id
  RETURN count(r) AS edges
}
RETURN m.id AS id, m.status AS status, toString(m.created_at) AS created_at,
       toString(m.activated_at) AS activated_at, m.params AS params, m.metrics AS metrics,
       m.data_window AS data_window, m.job_id AS job_id, edges
