// Block until every index is online (a fresh vector index populates asynchronously).
CALL db.awaitIndexes($timeout_s)
