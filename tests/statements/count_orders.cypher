// Tests only: how many orders the graph holds.
MATCH (o:Order) RETURN count(o) AS n
