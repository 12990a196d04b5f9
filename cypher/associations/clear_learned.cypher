// Remove up to $batch of a version's learned edges, found through the version index; the caller
// repeats it until none is left (a re-run of a write starts clean; prune uses it too). Small
// transactions with pauses between them keep the API's reads fast meanwhile.
MATCH ()-[r:ASSOCIATED {version: $version}]->()
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted
