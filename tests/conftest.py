"""Session fixtures: a throwaway Neo4j and Redis on free loopback ports, stopped even when tests fail.

Every AFFINITY_* variable is set before any code reads settings, so the code under test, and the
CLI subprocesses that tests start, talk to these servers and never to a developer's own.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

import cypher
from affinity import neo4j_server, redis_server
from affinity.db import connect
from affinity.settings import Settings, get_settings
from graph_schema import migrate

CLEAR_DATA = cypher.query("testing.clear_data")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_RUN_DIR = Path(tempfile.mkdtemp(prefix="affinity-tests-"))
_BOLT, _HTTP, _REDIS, _API = _free_port(), _free_port(), _free_port(), _free_port()
os.environ.update(
    {
        "AFFINITY_ENVIRONMENT": "test",
        "AFFINITY_DATA_DIR": str(_RUN_DIR),
        "AFFINITY_MODEL_DIR": str(_RUN_DIR / "models"),
        "AFFINITY_NEO4J_URI": f"bolt://127.0.0.1:{_BOLT}",
        "AFFINITY_NEO4J_BOLT_PORT": str(_BOLT),
        "AFFINITY_NEO4J_HTTP_PORT": str(_HTTP),
        "AFFINITY_NEO4J_PASSWORD": "affinity-test-password",
        "AFFINITY_NEO4J_HEAP": "768m",
        "AFFINITY_NEO4J_PAGECACHE": "256m",
        "AFFINITY_REDIS_PORT": str(_REDIS),
        "AFFINITY_BROKER_URL": f"redis://127.0.0.1:{_REDIS}/0",
        "AFFINITY_API_PORT": str(_API),
    }
)
get_settings.cache_clear()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def neo4j_server_running(settings: Settings) -> Iterator[Settings]:
    neo4j_server.start(settings)
    try:
        yield settings
    finally:
        neo4j_server.stop(settings)


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server_running: Settings) -> Iterator[neo4j.Driver]:
    driver = connect(neo4j_server_running, wait_s=30)
    migrate(driver, neo4j_server_running.neo4j_database)
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture
def empty_graph(neo4j_driver: neo4j.Driver, settings: Settings) -> neo4j.Driver:
    """The driver, over a graph with no data (schema and migration records kept)."""
    # CALL ... IN TRANSACTIONS needs an auto-commit transaction, hence session.run.
    with neo4j_driver.session(database=settings.neo4j_database) as session:
        session.run(CLEAR_DATA).consume()
    return neo4j_driver


@pytest.fixture(scope="session")
def redis_running(settings: Settings) -> Iterator[Settings]:
    redis_server.start(settings)
    try:
        yield settings
    finally:
        redis_server.stop(settings)
