// Register a job unless one of the same kind is queued or running. The lock node serialises
// concurrent submitters, so two retrains triggered at once cannot both pass the check. The job keeps
// the number of orders at its start: the scheduler counts new orders from there (stores/retrain_policy).
MERGE (lock:JobLock {kind: $kind})
SET lock.touched_at = datetime()
WITH lock
// A queued or running job that stopped reporting for $stale_after_s seconds is dead (its worker was
// killed): it no longer blocks, and is marked failed below.
OPTIONAL MATCH (stale:Job {kind: $kind})
WHERE stale.state IN ['queued', 'running'] AND stale.updated_at < datetime() - duration({seconds: $stale_after_s})
SET stale.state = 'failed',
    stale.error = 'abandoned in step ' + coalesce(stale.step, 'queued') + ': no progress for ' +
                  toString($stale_after_s) + ' s (worker lost)',
    stale.finished_at = datetime()
// Its half-written model version is failed too, so prune removes its edges.
WITH lock, stale
OPTIONAL MATCH (orphan:ModelVersion {job_id: stale.id})
WHERE orphan.status = 'candidate'
SET orphan.status = 'failed', orphan.status_reason = 'its job was abandoned'
WITH DISTINCT lock
OPTIONAL MATCH (busy:Job {kind: $kind})
WHERE busy.state IN ['queued', 'running'] AND $exclusive
WITH lock, collect(busy.id)[0] AS busy_id
FOREACH (_ IN CASE WHEN busy_id IS NULL THEN [1] ELSE [] END |
  CREATE (:Job {id: $id, kind: $kind, state: 'queued', step: 'queued', done: 0, total: 0,
                options: $options, created_at: datetime(), updated_at: datetime(),
                orders_at_start: COUNT { (:Order) }, request_id: $request_id})
)
RETURN busy_id
