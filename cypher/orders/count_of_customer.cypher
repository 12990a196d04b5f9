// How many orders customer $customer_id placed.
MATCH (:Customer {id: $customer_id})-[:PLACED]->(o:Order)
RETURN count(o) AS total
