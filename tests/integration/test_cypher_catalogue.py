"""Every named statement in cypher/ compiles on the real server (EXPLAIN plans without running)."""

from __future__ import annotations

from typing import LiteralString, cast

import neo4j
import pytest

import cypher
from affinity.settings import Settings

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", cypher.all_names())
def test_statement_compiles(name: str, neo4j_driver: neo4j.Driver, settings: Settings) -> None:
    statement = cast(LiteralString, "EXPLAIN " + cypher.query(name))
    with neo4j_driver.session(database=settings.neo4j_database) as session:
        session.run(statement).consume()
