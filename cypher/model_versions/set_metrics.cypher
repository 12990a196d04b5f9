MATCH (m:ModelVersion {id: $id})
SET m.metrics = $metrics, m.evaluated_at = datetime()
