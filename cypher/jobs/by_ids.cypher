// Jobs by id: one row per id that exists, in any order (the job DataLoader; a single job is a list of one).
UNWIND $ids AS id
MATCH (j:Job {id: id})
RETURN j {.*, created_at: toString(j.created_at), updated_at: toString(j.updated_at),
          started_at: toString(j.started_at), finished_at: toString(j.finished_at)} AS job
