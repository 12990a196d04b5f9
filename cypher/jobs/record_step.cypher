// A finished pipeline step: seconds per step and results per step (JSON), kept on the job.
MATCH (j:Job {id: $id})
SET j.timings = $timings, j.result = $result, j.updated_at = datetime()
