// Jobs, newest first (created_at, then id), a page at a time, in state $state (null: any state).
// With $forward the page follows the cursor ($at, $id); otherwise it precedes it and comes in
// reverse order (the caller turns it round). Null $at: from the start (or the end). $limit is the
// page size plus one, so the caller learns whether more follow.
MATCH (j:Job)
WHERE ($state IS NULL OR j.state = $state)
  AND ($at IS NULL OR
       CASE WHEN $forward
         THEN j.created_at < datetime($at) OR (j.created_at = datetime($at) AND j.id > $id)
         ELSE j.created_at > datetime($at) OR (j.created_at = datetime($at) AND j.id < $id)
       END)
WITH j ORDER BY
  CASE WHEN $forward THEN j.created_at END DESC, CASE WHEN $forward THEN j.id END,
  CASE WHEN NOT $forward THEN j.created_at END, CASE WHEN NOT $forward THEN j.id END DESC
LIMIT $limit
RETURN j {.*, created_at: toString(j.created_at), updated_at: toString(j.updated_at),
          started_at: toString(j.started_at), finished_at: toString(j.finished_at)} AS job
