"""The API's fixtures: a TestClient over the app, its lifespan included, on the seeded graph."""

from __future__ import annotations

from collections.abc import Iterator

import neo4j
import pytest
from starlette.testclient import TestClient

from affinity.settings import Settings
from service.app import create_app


@pytest.fixture(scope="module")
def client(seeded: neo4j.Driver, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
