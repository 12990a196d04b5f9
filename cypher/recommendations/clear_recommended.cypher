// Remove a version's customer recommendations in batches (a re-run of a write starts clean; prune uses it too).
MATCH (:Customer)-[r:RECOMMENDED {version: $version}]->(:Product)
CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS
