// Up to $n product and customer ids for the write path's warm-up (stores.versions.warm_up_writes),
// which writes scratch edges between them under a version no reader follows, then removes them.
CALL () { MATCH (p:Product) WITH p LIMIT $n RETURN collect(p.id) AS products }
CALL () { MATCH (c:Customer) WITH c LIMIT $n RETURN collect(c.id) AS customers }
RETURN products, customers
