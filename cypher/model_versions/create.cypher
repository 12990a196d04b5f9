// A new model version, as a candidate that readers do not see. Re-running keeps the first creation time.
MERGE (m:ModelVersion {id: $id})
ON CREATE SET m.status = 'candidate', m.created_at = datetime()
SET m.params = $params, m.data_window = $data_window, m.job_id = $job_id
