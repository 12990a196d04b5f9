// Flip the active version in one transaction: readers see the old edges until this commits.
MATCH (new:ModelVersion {id: $id})
WHERE new.status <> 'failed'
OPTIONAL MATCH (old:ModelVersion {status: 'active'})
WHERE old <> new
SET old.status = 'retired', old.retired_at = datetime()
SET new.status = 'active', new.activated_at = datetime()
RETURN new.id AS activated, old.id AS previous
