MATCH (j:Job)
WHERE $state IS NULL OR j.state = $state
RETURN j {.*, created_at: toString(j.created_at), updated_at: toString(j.updated_at),
          started_at: toString(j.started_at), finished_at: toString(j.finished_at)} AS job
ORDER BY j.created_at DESC
LIMIT $limit
