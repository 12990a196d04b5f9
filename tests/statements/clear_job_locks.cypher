// Tests only: remove the per-kind job locks, so the next submission has to create its lock node.
MATCH (lock:JobLock)
DELETE lock
