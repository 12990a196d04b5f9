// Tests only: one order's time and lines.
MATCH (o:Order {id: $orderId})-[l:CONTAINS]->(p:Product)
RETURN o.ts AS ts, l.qty AS qty, l.unit_price AS price, p.id AS product
ORDER BY qty
