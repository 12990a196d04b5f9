"""Affinity: the floor every other package stands on: settings, Neo4j access, errors, local servers."""
