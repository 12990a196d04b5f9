// Tests only: delete every node except the schema's migration records, in batches.
MATCH (n) WHERE NOT n:SchemaMigration
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS
