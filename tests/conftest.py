"""Session fixtures: a throwaway Neo4j and Redis on free loopback ports, stopped even when tests fail.

Every AFFINITY_* variable is set before any code reads settings, so the code under test, and the
CLI subprocesses that tests start, talk to these servers and never to a developer's own.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import neo4j
import pytest

from affinity import neo4j_server, redis_server
from affinity.db import connect
from affinity.settings import Settings, get_settings
from graph_schema import migrate
from tests.otlp_collector import Collector
from tests.servers import server_env
from tests.service.api import seed_graph
from tests.statements import TEST_CYPHER

CLEAR_DATA = TEST_CYPHER.query("clear_data")


_RUN_DIR = Path(tempfile.mkdtemp(prefix="affinity-tests-"))
os.environ.update(
    {
        "AFFINITY_ENVIRONMENT": "test",
        "AFFINITY_NEO4J_PASSWORD": "affinity-test-password",
        "AFFINITY_NEO4J_HEAP": "768m",
        "AFFINITY_NEO4J_PAGECACHE": "256m",
        # The suite sends requests faster than a shop's front-end; the rate-limit tests turn it on.
        "AFFINITY_RATE_LIMIT_PER_S": "0",
        # Data and model dirs, and free ports for Neo4j, Redis and the API (tests.servers.isolated
        # gives a test its own servers the same way).
        **server_env(_RUN_DIR),
    }
)
get_settings.cache_clear()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


class _LocalServer(Protocol):
    def start(self, settings: Settings) -> object: ...
    def stop(self, settings: Settings) -> object: ...


def _running(server: _LocalServer, settings: Settings) -> Iterator[Settings]:
    """``server`` (affinity.neo4j_server or redis_server) started for the session, stopped at its end."""
    server.start(settings)
    try:
        yield settings
    finally:
        server.stop(settings)


@pytest.fixture(scope="session")
def neo4j_server_running(settings: Settings) -> Iterator[Settings]:
    yield from _running(neo4j_server, settings)


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


@pytest.fixture(scope="module")
def seeded(neo4j_driver: neo4j.Driver, settings: Settings) -> neo4j.Driver:
    """The driver, over the API tests' known graph (``tests.service.api.GRAPH``), seeded afresh for
    each module that asks: the API's and the browser's tests, some of which write to it."""
    seed_graph(neo4j_driver, settings)
    return neo4j_driver


@pytest.fixture(scope="session")
def redis_running(settings: Settings) -> Iterator[Settings]:
    yield from _running(redis_server, settings)


@pytest.fixture
def collector() -> Iterator[Collector]:
    """A stand-in OpenTelemetry collector (tests.otlp_collector) for a test's processes to export to."""
    received = Collector()
    yield received
    received.close()
