// Jobs by id (the job DataLoader).
UNWIND $ids AS id
MATCH (j:Job {id: id})
RETURN j {.*, created_at: toString(j.created_at), updated_at: toString(j.updated_at),
          started_at: toString(j.started_at), finished_at: toString(j.finished_at)} AS job
