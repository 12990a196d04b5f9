// Progress of a running job: its step and done/total in that step.
MATCH (j:Job {id: $id})
SET j.state = $state, j.step = $step, j.done = $done, j.total = $total, j.updated_at = datetime(),
    j.started_at = coalesce(j.started_at, datetime())
