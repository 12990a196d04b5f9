// Cheapest query that proves the credentials and the database work.
RETURN 1 AS ok
