MATCH ()-[r:ASSOCIATED {version: $version}]->()
RETURN count(r) AS edges
