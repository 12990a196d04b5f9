// Record one applied migration; MERGE keeps a re-run from duplicating it.
MERGE (m:SchemaMigration {version: $version})
ON CREATE SET m.name = $name, m.checksum = $checksum, m.applied_at = datetime()
