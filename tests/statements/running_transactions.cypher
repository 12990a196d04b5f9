// Tests only: the statements of the transactions running now (other than this one).
SHOW TRANSACTIONS YIELD currentQuery, status
WHERE NOT currentQuery CONTAINS 'SHOW TRANSACTIONS'
RETURN currentQuery AS query, status
