// Ask a queued or running job to stop: its worker sees the flag at the job's next progress report
// (every epoch, batch or product) or step, and ends it as failed. A settled job is left as it is.
MATCH (j:Job {id: $id})
SET j.cancel_requested = coalesce(j.cancel_requested, false) OR j.state IN ['queued', 'running']
RETURN j.state AS state
