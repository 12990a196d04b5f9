// Remove up to $batch of a version's customer recommendations (repeated until none is left, as for
// the learned associations).
MATCH (:Customer)-[r:RECOMMENDED {version: $version}]->(:Product)
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted
