// Node counts per label (status and idempotence checks).
MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS count ORDER BY label
