// Versions whose edges can go: failed ones always; retired and rejected ones beyond the $keep newest.
// Candidates are never pruned (a running pipeline may be writing them).
MATCH (m:ModelVersion)
WHERE m.status IN ['retired', 'rejected', 'failed']
WITH m ORDER BY m.created_at DESC
WITH collect(m) AS versions
UNWIND range(0, size(versions) - 1) AS i
WITH versions[i] AS m, i
WHERE i >= $keep OR m.status = 'failed'
RETURN m.id AS id
