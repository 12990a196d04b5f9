// Tests only: every data node with its labels and properties (minus volatile ones), for comparing
// two graphs (for example a crashed-then-resumed ingest with a clean one).
MATCH (n) WHERE NOT n:SchemaMigration
RETURN labels(n) AS labels, properties(n) AS properties
