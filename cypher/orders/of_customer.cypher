// One customer's orders, newest first (ts, then id), a page at a time, each with its lines (product
// id, quantity and unit price, either null when unknown). With $forward the page follows the cursor
// ($at, $id); otherwise it precedes it and comes in reverse order (the caller turns it round). Null
// $at: from the start (or the end). $limit is the page size plus one.
MATCH (:Customer {id: $customer_id})-[:PLACED]->(o:Order)
WHERE $at IS NULL OR
      CASE WHEN $forward
        THEN o.ts < datetime($at) OR (o.ts = datetime($at) AND o.id > $id)
        ELSE o.ts > datetime($at) OR (o.ts = datetime($at) AND o.id < $id)
      END
WITH o ORDER BY
  CASE WHEN $forward THEN o.ts END DESC, CASE WHEN $forward THEN o.id END,
  CASE WHEN NOT $forward THEN o.ts END, CASE WHEN NOT $forward THEN o.id END DESC
LIMIT $limit
RETURN o.id AS id, toString(o.ts) AS ts,
       COLLECT { MATCH (o)-[l:CONTAINS]->(p:Product)
                 RETURN {product_id: p.id, quantity: l.qty, unit_price: l.unit_price} AS line
                 ORDER BY line.product_id } AS lines
