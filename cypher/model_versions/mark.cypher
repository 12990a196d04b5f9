// Set a version's status (failed, pruned). Never used to activate: that is model_versions.activate.
MATCH (m:ModelVersion {id: $id})
WHERE m.status <> 'active'
SET m.status = $status, m.status_reason = $reason, m.updated_at = datetime()
RETURN m.id AS id
