// The newest $first jobs, in state $state (null: any state).
MATCH (j:Job)
WHERE $state IS NULL OR j.state = $state
WITH j ORDER BY j.created_at DESC, j.id LIMIT $first
RETURN j {.*, created_at: toString(j.created_at), updated_at: toString(j.updated_at),
          started_at: toString(j.started_at), finished_at: toString(j.finished_at)} AS job
