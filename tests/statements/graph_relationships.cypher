// Tests only: every relationship as (type, start key, end key, properties); a node's key is its
// id, or its name for tags.
MATCH (a)-[r]->(b)
RETURN type(r) AS type, coalesce(a.id, a.name) AS start, coalesce(b.id, b.name) AS end,
       properties(r) AS properties
