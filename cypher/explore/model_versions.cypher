// Every model version with its status, metrics and learned edge count.
MATCH (m:ModelVersion)
OPTIONAL MATCH ()-[a:ASSOCIATED {version: m.id}]->()
RETURN m.id AS version, m.status AS status, m.created_at AS created, m.activated_at AS activated,
       count(a) AS edges, m.metrics AS metrics
ORDER BY created DESC
