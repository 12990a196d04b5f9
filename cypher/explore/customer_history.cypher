// What a customer bought, order by order (newest first).
// :param customerId => '17850'
MATCH (c:Customer {id: $customerId})-[:PLACED]->(o:Order)-[l:CONTAINS]->(p:Product)
RETURN o.id AS order, o.ts AS ts, collect(p.title + ' x' + coalesce(toString(l.qty), '?')) AS lines
ORDER BY ts DESC
LIMIT 25
