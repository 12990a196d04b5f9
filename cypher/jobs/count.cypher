// How many jobs are in state $state (null: any state).
MATCH (j:Job) WHERE $state IS NULL OR j.state = $state
RETURN count(j) AS total
