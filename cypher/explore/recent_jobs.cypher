// The latest retrain and refresh jobs, with their step, progress and error.
MATCH (j:Job)
RETURN j.id AS job, j.kind AS kind, j.state AS state, j.step AS step, j.done AS done, j.total AS total,
       j.created_at AS created, j.error AS error, j.model_version AS version
ORDER BY created DESC
LIMIT 20
