// Background jobs (retrain, product refresh) and the lock nodes that serialise their submission.
CREATE CONSTRAINT job_id IF NOT EXISTS FOR (n:Job) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT job_lock_kind IF NOT EXISTS FOR (n:JobLock) REQUIRE n.kind IS UNIQUE;
CREATE INDEX job_state IF NOT EXISTS FOR (j:Job) ON (j.state);
