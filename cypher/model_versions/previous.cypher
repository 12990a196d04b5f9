// The version that was active before the current one (what rollback restores).
MATCH (m:ModelVersion {status: 'retired'})
WHERE m.activated_at IS NOT NULL
RETURN m.id AS id
ORDER BY m.retired_at DESC
LIMIT 1
