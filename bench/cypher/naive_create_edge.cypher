// Benchmark baseline only (bench/bench_ingest.py): one BOUGHT_WITH edge in its own transaction.
MATCH (a:Product {id: $source})
MATCH (b:Product {id: $target})
CREATE (a)-[:BOUGHT_WITH {baskets: $baskets, support: $support, confidence: $confidence, lift: $lift,
                          last_seen: datetime({epochSeconds: $last_seen})}]->(b)
