// What the workers' metrics report about jobs and model versions, read at each scrape: jobs by
// kind and state, the active version, and when the last retrain succeeded and failed (epoch seconds).
CALL () {
  MATCH (j:Job)
  WITH j.kind AS kind, j.state AS state, count(*) AS jobs
  RETURN collect({kind: kind, state: state, jobs: jobs}) AS job_counts
}
CALL () {
  OPTIONAL MATCH (m:ModelVersion {status: 'active'})
  RETURN m.id AS active_version, m.activated_at.epochMillis / 1000.0 AS activated_at
  ORDER BY m.activated_at DESC LIMIT 1
}
CALL () {
  OPTIONAL MATCH (j:Job {kind: 'retrain'})
  WHERE j.state IN ['succeeded', 'failed']
  RETURN max(CASE j.state WHEN 'succeeded' THEN j.finished_at END).epochMillis / 1000.0 AS last_succeeded,
         max(CASE j.state WHEN 'failed' THEN j.finished_at END).epochMillis / 1000.0 AS last_failed
}
RETURN job_counts, active_version, activated_at, last_succeeded, last_failed
