// Tests only: learned edges written twice (same source, target, kind and version): must be none.
MATCH (a:Product)-[r:ASSOCIATED]->(b:Product)
WITH a.id AS source, b.id AS target, r.kind AS kind, r.version AS version, count(r) AS copies
WHERE copies > 1
RETURN source, target, kind, version, copies
ORDER BY copies DESC
LIMIT 20
