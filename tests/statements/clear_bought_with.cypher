// Tests only: forget every observed association and its digest, so the next observe starts clean.
MATCH (p:Product)
OPTIONAL MATCH (p)-[r:BOUGHT_WITH]->()
DELETE r
REMOVE p.bought_with_hash
