// Observe: every basket (an order's distinct products) with its time in epoch seconds.
// One streamed result (about 14k rows for the shipped data): the pair counting happens in Python.
MATCH (o:Order)-[:CONTAINS]->(p:Product)
WITH o, collect(DISTINCT p.id) AS products
RETURN o.ts.epochSeconds AS ts, products
