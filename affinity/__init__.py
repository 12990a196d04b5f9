"""Affinity: shared core (settings, Neo4j access, local services, the CLI)."""
