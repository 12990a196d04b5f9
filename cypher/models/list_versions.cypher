// Every model version, newest first, with its learned edge count.
MATCH (m:ModelVersion)
OPTIONAL MATCH ()-[r:ASSOCIATED {version: m.id}]->()
WITH m, count(r) AS edges
RETURN m.id AS id, m.status AS status, m.created_at AS created_at, m.activated_at AS activated_at,
       m.metrics AS metrics, m.params AS params, m.data_window AS data_window, edges
ORDER BY m.created_at DESC
