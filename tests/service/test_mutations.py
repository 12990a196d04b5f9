"""Mutations over HTTP against a real Neo4j: ingest (validated, idempotent), model activation and
rollback, retrain submission; each needs the admin key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import neo4j
import pytest
from starlette.testclient import TestClient

from affinity.settings import Settings
from service.app import create_app
from tests.servers import free_port
from tests.service.api import ADMIN, data, error_of

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(seeded: neo4j.Driver, settings: Settings) -> Iterator[TestClient]:
    """The API with a broker URL nothing listens on: these tests assert what the mutations do without
    a broker, whether or not another module has started the session's Redis already."""
    no_broker = settings.model_copy(update={"broker_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(no_broker)) as test_client:
        yield test_client


UPSERT = """mutation($products: [ProductInput!]!) { upsertProducts(products: $products) {
  __typename
  ... on IngestSucceeded { counts { kind created updated unchanged } refreshJobId warnings }
  ... on IngestRejected { message problems { argument index field message } } } }"""


def counts(result: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {c["kind"]: (c["created"], c["updated"], c["unchanged"]) for c in result["counts"]}


def test_upsert_products_writes_validates_and_is_idempotent(client: TestClient) -> None:
    new = [
        {
            "id": "N1",
            "title": "Brass lamp",
            "description": "A brass lamp",
            "price": 30.0,
            "tags": ["lighting", "brass"],
            "category": ["Home", "Lighting"],
        }
    ]
    first = data(client, UPSERT, {"products": new}, ADMIN)["upsertProducts"]
    assert first["__typename"] == "IngestSucceeded"
    assert counts(first)["products"] == (1, 0, 0)
    # No broker in this test: the write stands, and the response says the embedding waits.
    assert first["refreshJobId"] is None and "not embedded yet" in first["warnings"][0]
    product = data(client, '{ product(id: "N1") { title tags categories { id path } hasEmbedding } }')[
        "product"
    ]
    assert product == {
        "title": "Brass lamp",
        "tags": ["brass", "lighting"],
        "hasEmbedding": False,
        "categories": [{"id": "home/lighting", "path": ["Home", "Lighting"]}],
    }
    again = data(client, UPSERT, {"products": new}, ADMIN)["upsertProducts"]
    assert counts(again)["products"] == (0, 0, 1)


def test_invalid_products_are_rejected_with_every_problem(client: TestClient) -> None:
    bad = [{"id": "N2", "title": "ok"}, {"id": "N3", "title": "", "price": -1.0}]
    result = data(client, UPSERT, {"products": bad}, ADMIN)["upsertProducts"]
    assert result["__typename"] == "IngestRejected"
    problems = {(p["argument"], p["index"], p["field"]) for p in result["problems"]}
    assert problems == {("products", 1, "title"), ("products", 1, "price")}
    assert (
        error_of(client, '{ product(id: "N2") { productId } }')["extensions"]["code"] == "NOT_FOUND"
    )  # nothing written


def test_add_reviews_and_record_orders(client: TestClient) -> None:
    reviews = """mutation($r: [ReviewInput!]!) { addReviews(reviews: $r) {
      __typename ... on IngestSucceeded { counts { kind created } }
      ... on IngestRejected { problems { index field message } } } }"""
    ok = data(
        client,
        reviews,
        {"r": [{"id": "R9", "productId": "P4", "rating": 4, "text": "nice", "ts": "2011-06-01T00:00:00Z"}]},
        ADMIN,
    )["addReviews"]
    assert ok["__typename"] == "IngestSucceeded"
    summary = data(client, '{ product(id: "P4") { reviews { count averageRating } } }')["product"]["reviews"]
    assert summary == {"count": 1, "averageRating": 4.0}
    bad = data(
        client,
        reviews,
        {"r": [{"id": "R10", "productId": "nope", "rating": 9, "ts": "2011-06-01T00:00:00Z"}]},
        ADMIN,
    )["addReviews"]
    assert bad["__typename"] == "IngestRejected" and {p["field"] for p in bad["problems"]} >= {"rating"}

    orders = """mutation($l: [OrderLineInput!]!, $c: [CustomerInput!]) {
      recordOrders(lines: $l, customers: $c) { __typename
        ... on IngestSucceeded { counts { kind created } }
        ... on IngestRejected { problems { message } } } }"""
    lines = [
        {
            "orderId": "ON1",
            "customerId": "C9",
            "ts": "2011-09-01T12:00:00",
            "productId": "P4",
            "quantity": 2,
            "unitPrice": 4.0,
        },
        {
            "orderId": "ON1",
            "customerId": "C9",
            "ts": "2011-09-01T12:00:00",
            "productId": "P1",
            "quantity": 1,
            "unitPrice": 20.0,
        },
    ]
    done = data(client, orders, {"l": lines, "c": [{"id": "C9", "country": "UK"}]}, ADMIN)["recordOrders"]
    assert done["__typename"] == "IngestSucceeded"
    assert {c["kind"]: c["created"] for c in done["counts"]} == {"customers": 1, "orders": 1}
    rec = data(client, '{ recommendations(customerId: "C9") { strategy items { product { productId } } } }')
    assert rec["recommendations"]["strategy"] == "CUSTOMER_HISTORY"
    assert {"P2", "P3", "P5", "P6"} >= {i["product"]["productId"] for i in rec["recommendations"]["items"]}


CHANGE = """fragment r on ModelChangeResult { __typename
  ... on ModelChanged { model { versionId status } previous }
  ... on ModelChangeRejected { message } }"""


def test_activate_gate_force_and_rollback(client: TestClient) -> None:
    def run(query: str) -> dict[str, Any]:
        return data(client, query + CHANGE, None, ADMIN)

    refused = run('mutation { activateModel(version: "v1") { ...r } }')["activateModel"]
    assert refused["__typename"] == "ModelChangeRejected" and "worse" in refused["message"]
    unknown = run('mutation { activateModel(version: "v404") { ...r } }')["activateModel"]
    assert unknown == {"__typename": "ModelChangeRejected", "message": "unknown model version 'v404'"}
    forced = run('mutation { activateModel(version: "v1", force: true) { ...r } }')["activateModel"]
    assert forced == {
        "__typename": "ModelChanged",
        "model": {"versionId": "v1", "status": "active"},
        "previous": "v2",
    }
    served = data(
        client, '{ associations(productId: "P1", first: 1) { product { productId } modelVersion } }'
    )
    assert served["associations"] == [{"product": {"productId": "P4"}, "modelVersion": "v1"}]
    back = run("mutation { rollbackModel { ...r } }")["rollbackModel"]
    assert back == {
        "__typename": "ModelChanged",
        "model": {"versionId": "v2", "status": "active"},
        "previous": "v1",
    }


def test_retrain_without_a_broker_is_rejected_clearly(client: TestClient) -> None:
    result = data(
        client,
        "mutation { retrain(options: {epochs: 1}) { __typename ... on RetrainRejected { message } "
        "... on RetrainQueued { job { jobId } } } }",
        None,
        ADMIN,
    )["retrain"]
    assert result["__typename"] == "RetrainRejected" and "broker" in result["message"]
    bad = error_of(client, "mutation { retrain(options: [1, 2]) { __typename } }", None, ADMIN)
    assert bad["extensions"]["code"] == "BAD_INPUT"
