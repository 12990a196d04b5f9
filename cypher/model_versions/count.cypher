// How many model versions have status $status (null: any status).
MATCH (m:ModelVersion) WHERE $status IS NULL OR m.status = $status
RETURN count(m) AS total
