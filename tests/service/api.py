"""The API tests' known graph and development keys, and GraphQL request helpers.

``GRAPH`` is a small catalogue with customers, orders, both kinds of association, model versions and
jobs; ``seed_graph`` writes it (over whatever was there) through ``api_seed``. The ``seeded`` and
``client`` fixtures (tests/conftest.py, tests/service/conftest.py) build on it.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import neo4j

from affinity.settings import Settings
from graph_schema import EMBEDDING_DIMENSIONS
from stores.versions import GATE_METRIC
from tests.statements import TEST_CYPHER

if TYPE_CHECKING:  # the root conftest imports this module: no API stack needed at collection
    from starlette.testclient import TestClient

SEED = TEST_CYPHER.query("api_seed")
CLEAR = TEST_CYPHER.query("clear_data")

READ = {"X-API-Key": "dev-read-key"}
ADMIN = {"X-API-Key": "dev-admin-key"}


def _vector(*hot: tuple[int, float]) -> list[float]:
    v = [0.0] * EMBEDDING_DIMENSIONS
    for index, value in hot:
        v[index] = value
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


FILLERS = [f"F{i:03d}" for i in range(30)]

GRAPH: dict[str, Any] = {
    "categories": [
        {"id": "home", "name": "Home", "parent": None},
        {"id": "home/lighting", "name": "Lighting", "parent": "home"},
        {"id": "kitchen", "name": "Kitchen", "parent": None},
    ],
    "products": [
        {
            "id": "P1",
            "title": "Desk lamp",
            "description": "A bright desk lamp",
            "price": 20.0,
            "tags": ["lighting", "desk"],
            "category": "home/lighting",
            "embedding": _vector((0, 1.0)),
        },
        {
            "id": "P2",
            "title": "LED bulb",
            "description": "Warm white bulb for lamps",
            "price": 3.5,
            "tags": ["lighting", "bulb"],
            "category": "home/lighting",
            "embedding": _vector((0, 0.9), (1, 0.1)),
        },
        {
            "id": "P3",
            "title": "Lamp shade",
            "description": "Linen shade",
            "price": 12.0,
            "tags": ["lighting", "decor"],
            "category": "home/lighting",
            "embedding": _vector((0, 0.7), (1, 0.3)),
        },
        {
            "id": "P4",
            "title": "Tea cup",
            "description": "Porcelain cup",
            "price": 4.0,
            "tags": ["kitchen", "tea"],
            "category": "kitchen",
            "embedding": _vector((2, 1.0)),
        },
        {
            "id": "P5",
            "title": "Tea pot",
            "description": "Porcelain tea pot",
            "price": 15.0,
            "tags": ["kitchen", "tea"],
            "category": "kitchen",
            "embedding": _vector((2, 0.9), (3, 0.1)),
        },
        {
            "id": "P6",
            "title": "Scented candle",
            "description": "Vanilla candle",
            "price": 6.0,
            "tags": ["decor"],
            "category": None,
            "embedding": None,
        },
        {
            "id": "P7",
            "title": "Lonely thing",
            "description": "",
            "price": None,
            "tags": [],
            "category": None,
            "embedding": None,
        },
        *[
            {
                "id": f,
                "title": f"Filler {f}",
                "description": "filler stock",
                "price": 1.0,
                "tags": ["filler"],
                "category": "kitchen" if i % 2 else None,
                "embedding": None,
            }
            for i, f in enumerate(FILLERS)
        ],
    ],
    "customers": [
        {"id": "C1", "country": "UK"},
        {"id": "C2", "country": "FR"},
        {"id": "C3", "country": "DE"},
    ],
    "orders": [
        {"id": "O1", "customer": "C1", "ts": "2011-01-01T10:00:00Z", "products": ["P1", "P2"]},
        {"id": "O2", "customer": "C1", "ts": "2011-02-01T10:00:00Z", "products": ["P1"]},
        {"id": "O3", "customer": "C2", "ts": "2011-03-01T10:00:00Z", "products": ["P4", "P5"]},
        {"id": "O4", "customer": None, "ts": "2011-04-01T10:00:00Z", "products": ["P1", "P2", "P3"]},
        {"id": "O5", "customer": None, "ts": "2011-04-02T10:00:00Z", "products": ["P4"]},
    ],
    "reviews": [
        {
            "id": "R1",
            "product": "P1",
            "customer": "C1",
            "rating": 5,
            "text": "Great lamp",
            "ts": "2011-05-01T00:00:00Z",
        },
        {
            "id": "R2",
            "product": "P1",
            "customer": None,
            "rating": 3,
            "text": "OK",
            "ts": "2011-05-02T00:00:00Z",
        },
    ],
    "bought": [
        {"a": "P1", "b": "P2", "baskets": 2, "support": 0.4, "confidence": 0.67, "lift": 1.67},
        {"a": "P2", "b": "P1", "baskets": 2, "support": 0.4, "confidence": 1.0, "lift": 1.67},
        {"a": "P1", "b": "P3", "baskets": 1, "support": 0.2, "confidence": 0.33, "lift": 1.67},
        {"a": "P3", "b": "P1", "baskets": 1, "support": 0.2, "confidence": 1.0, "lift": 1.67},
        {"a": "P4", "b": "P5", "baskets": 1, "support": 0.2, "confidence": 0.5, "lift": 2.5},
        {"a": "P5", "b": "P4", "baskets": 1, "support": 0.2, "confidence": 1.0, "lift": 2.5},
    ],
    "versions": [
        {
            "id": "v1",
            "status": "retired",
            "created_at": "2011-06-01T00:00:00Z",
            "activated_at": "2011-06-01T00:00:00Z",
            "metrics": json.dumps({"overall": {GATE_METRIC: 0.1}}),
            "params": json.dumps({"model": "sage"}),
        },
        {
            "id": "v2",
            "status": "active",
            "created_at": "2011-07-01T00:00:00Z",
            "activated_at": "2011-07-02T00:00:00Z",
            "metrics": json.dumps({"overall": {GATE_METRIC: 0.2}}),
            "params": json.dumps({"model": "gat"}),
        },
    ],
    "associated": [
        {"source": "P1", "target": "P4", "version": "v1", "kind": "complement", "score": 0.99, "rank": 1},
        {"source": "P1", "target": "P2", "version": "v2", "kind": "complement", "score": 0.9, "rank": 1},
        {"source": "P1", "target": "P3", "version": "v2", "kind": "complement", "score": 0.7, "rank": 2},
        {"source": "P1", "target": "P6", "version": "v2", "kind": "complement", "score": 0.5, "rank": 3},
        {"source": "P1", "target": "P3", "version": "v2", "kind": "substitute", "score": 0.6, "rank": 1},
        {"source": "P2", "target": "P3", "version": "v2", "kind": "complement", "score": 0.8, "rank": 1},
        {"source": "P4", "target": "P5", "version": "v2", "kind": "complement", "score": 0.8, "rank": 1},
        {"source": "P5", "target": "P6", "version": "v2", "kind": "complement", "score": 0.3, "rank": 1},
    ],
    "jobs": [
        {
            "id": "J1",
            "kind": "retrain",
            "state": "succeeded",
            "step": "activate",
            "done": 1,
            "total": 1,
            "error": None,
            "model_version": "v2",
            "created_at": "2011-07-01T00:00:00Z",
        },
        {
            "id": "J2",
            "kind": "retrain",
            "state": "running",
            "step": "train",
            "done": 3,
            "total": 10,
            "error": None,
            "model_version": None,
            "created_at": "2011-08-01T00:00:00Z",
        },
    ],
}


def seed_graph(driver: neo4j.Driver, settings: Settings, graph: dict[str, Any] = GRAPH) -> None:
    with driver.session(database=settings.neo4j_database) as session:
        session.run(CLEAR).consume()
    driver.execute_query(SEED, graph, database_=settings.neo4j_database)


def gql(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = READ,
) -> dict[str, Any]:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def data(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = READ,
) -> dict[str, Any]:
    body = gql(client, query, variables, headers)
    assert not body.get("errors"), body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def error_of(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = READ,
) -> dict[str, Any]:
    body = gql(client, query, variables, headers)
    assert body.get("errors"), body
    first: dict[str, Any] = body["errors"][0]
    return first


def neo4j_calls(client: TestClient) -> float:
    """Statements the API has run so far (each one is timed in ``affinity_api_neo4j_seconds``)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = client.get("/metrics").text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "affinity_api_neo4j_seconds_count"
    )
