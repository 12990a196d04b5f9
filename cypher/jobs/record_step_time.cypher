// Seconds each pipeline step took (a JSON object), kept on the job for the timing report.
MATCH (j:Job {id: $id})
SET j.timings = $timings
