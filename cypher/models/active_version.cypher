MATCH (m:ModelVersion {status: 'active'})
RETURN m.id AS id, m.metrics AS metrics, m.params AS params, m.activated_at AS activated_at
