// A job's end: succeeded or failed (with the reason), and what it produced.
MATCH (j:Job {id: $id})
SET j.state = $state, j.error = $error, j.model_version = coalesce($model_version, j.model_version),
    j.result = $result, j.finished_at = datetime(), j.updated_at = datetime()
