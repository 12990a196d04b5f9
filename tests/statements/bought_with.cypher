// Tests only: every observed association with its exact numbers.
MATCH (a:Product)-[r:BOUGHT_WITH]->(b:Product)
RETURN a.id AS source, b.id AS target, r.baskets AS baskets, r.support AS support,
       r.confidence AS confidence, r.lift AS lift, r.last_seen AS last_seen
ORDER BY source, target
