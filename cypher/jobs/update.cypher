// Progress of a running job: its step and done/total in that step; answers whether someone asked
// the job to stop (`affinity job cancel`), which the worker honours at this report.
MATCH (j:Job {id: $id})
SET j.state = $state, j.step = $step, j.done = $done, j.total = $total, j.updated_at = datetime(),
    j.started_at = coalesce(j.started_at, datetime())
RETURN coalesce(j.cancel_requested, false) AS cancel_requested
