// Remove a version's learned edges in batches (a re-run of a write starts clean; prune uses it too).
MATCH ()-[r:ASSOCIATED {version: $version}]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS
