// Remove every order with its lines and customer edge, a batch per transaction (auto-commit only).
// Used by the benchmark between runs; products, customers and their hashes are kept.
MATCH (o:Order)
CALL (o) { DETACH DELETE o } IN TRANSACTIONS OF 2000 ROWS
