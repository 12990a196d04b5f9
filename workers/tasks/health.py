"""A health task: proves a worker reaches the broker and Neo4j."""

from __future__ import annotations

import socket

import neo4j

import cypher
from affinity.db import session_driver
from affinity.settings import get_settings
from workers.app import app

COUNT_NODES = cypher.query("schema.count_nodes_by_label")


@app.task(name="affinity.io.health")
def health() -> dict[str, object]:
    """Return the worker's host and the graph's node counts by label."""
    settings = get_settings()
    with session_driver(settings) as driver:
        records = driver.execute_query(
            COUNT_NODES, database_=settings.neo4j_database, routing_=neo4j.RoutingControl.READ
        ).records
    return {"worker": socket.gethostname(), "nodes": {r["label"]: r["count"] for r in records}}
