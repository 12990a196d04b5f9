// Versions whose edges can go: inactive (never a candidate still being written), beyond the $keep newest.
MATCH (m:ModelVersion)
WHERE m.status IN ['retired', 'rejected', 'failed']
WITH m ORDER BY m.created_at DESC
WITH collect(m) AS versions
UNWIND range(0, size(versions) - 1) AS i
WITH versions[i] AS m, i
WHERE i >= $keep
RETURN m.id AS id
