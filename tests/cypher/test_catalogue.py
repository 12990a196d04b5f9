"""Every named statement compiles on the real server (EXPLAIN plans without running): the system's
own in cypher/, and those only the tests (tests/statements/) and the benchmarks (bench/cypher/) run."""

from __future__ import annotations

from typing import LiteralString, cast

import neo4j
import pytest

import cypher
from affinity.settings import Settings
from bench.common import BENCH_CYPHER
from tests.statements import TEST_CYPHER

pytestmark = pytest.mark.integration

CATALOGUES = {"cypher": cypher.CATALOGUE, "tests": TEST_CYPHER, "bench": BENCH_CYPHER}


@pytest.mark.parametrize(
    ("catalogue", "name"), [(folder, name) for folder, c in CATALOGUES.items() for name in c.names()]
)
def test_statement_compiles(
    catalogue: str, name: str, neo4j_driver: neo4j.Driver, settings: Settings
) -> None:
    statement = cast(LiteralString, "EXPLAIN " + CATALOGUES[catalogue].query(name))
    with neo4j_driver.session(database=settings.neo4j_database) as session:
        session.run(statement).consume()
