// How many customers the graph holds.
MATCH (c:Customer) RETURN count(c) AS total
