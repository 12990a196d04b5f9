"""Shop events over HTTP: every answered list carries a recommendationId; recordEvents stores events
idempotently with the model version and strategy of the list they answer; eventStats gives
click-through and conversion per version and strategy, and /metrics counts the events."""

from __future__ import annotations

import uuid
from typing import Any

import neo4j
import pytest
from starlette.testclient import TestClient

from affinity.settings import Settings
from tests.prometheus_text import sample
from tests.service.api import data, error_of, seed_graph

pytestmark = pytest.mark.integration

RECORD = """mutation($events: [EventInput!]!) { recordEvents(events: $events) {
  recorded duplicates rejected { index field message } } }"""
STATS = """{ eventStats { modelVersion strategy lists views clicks addToCarts purchases clickThroughRate
  conversionRate } }"""


@pytest.fixture
def fresh(seeded: neo4j.Driver, settings: Settings) -> neo4j.Driver:
    seed_graph(seeded, settings)
    return seeded


def event(kind: str, product: str, list_id: str | None = None, **more: Any) -> dict[str, Any]:
    return {"id": f"e-{uuid.uuid4()}", "type": kind, "productId": product, "ts": "2011-09-01T12:00:00Z",
            "recommendationId": list_id, **more}  # fmt: skip


def test_every_list_carries_its_id(client: TestClient, fresh: neo4j.Driver) -> None:
    answer = data(
        client,
        """{ r: recommendations(basket: ["P1"], first: 2) { strategy recommendationId }
        a: associations(productId: "P1", first: 3) { recommendationId } }""",
    )
    assert answer["r"]["recommendationId"].startswith("r1.")
    lists = {item["recommendationId"] for item in answer["a"]}
    assert len(lists) == 1 and lists != {answer["r"]["recommendationId"]}


def test_events_are_attributed_to_the_version_and_strategy_of_their_list(
    client: TestClient, fresh: neo4j.Driver
) -> None:
    basket = data(client, '{ recommendations(basket: ["P1"], first: 2) { recommendationId modelVersion } }')
    list_id = basket["recommendations"]["recommendationId"]
    assert basket["recommendations"]["modelVersion"] == "v2"
    complements = data(client, '{ associations(productId: "P4", first: 1) { recommendationId } }')
    other = complements["associations"][0]["recommendationId"]
    events = [
        event("VIEW", "P2", list_id, customerId="C1", sessionId="s1"),
        event("VIEW", "P3", list_id, sessionId="s1"),
        event("CLICK", "P2", list_id, sessionId="s1"),
        event("PURCHASE", "P2", list_id, customerId="C1"),
        event("VIEW", "P5", other),
        event("VIEW", "P1"),  # not from a list: stored, not attributed
    ]
    first = data(client, RECORD, {"events": events})["recordEvents"]
    assert first == {"recorded": 6, "duplicates": 0, "rejected": []}
    again = data(client, RECORD, {"events": events})["recordEvents"]  # a client's retry
    assert again == {"recorded": 0, "duplicates": 6, "rejected": []}
    stats = {(s["modelVersion"], s["strategy"]): s for s in data(client, STATS)["eventStats"]}
    assert set(stats) == {("v2", "basket"), ("v2", "associations:complement")}
    row = stats[("v2", "basket")]
    assert (row["lists"], row["views"], row["clicks"], row["purchases"]) == (1, 2, 1, 1)
    assert row["clickThroughRate"] == 0.5 and row["conversionRate"] == 1.0
    assert stats[("v2", "associations:complement")]["views"] == 1
    metrics = client.get("/metrics").text
    clicks = sample(metrics, "affinity_api_events_total", {"type": "click", "strategy": "basket"})
    assert clicks is not None and clicks >= 1


def test_bad_events_are_reported_one_by_one_and_the_rest_are_stored(
    client: TestClient, fresh: neo4j.Driver
) -> None:
    good = event("VIEW", "P1")
    events = [
        good,
        event("CLICK", "nope"),
        event("CLICK", "P2", "r1.garbage"),
        {**event("VIEW", "P3"), "id": good["id"]},
        event("VIEW", "P2", sessionId=""),
    ]
    result = data(client, RECORD, {"events": events})["recordEvents"]
    assert result["recorded"] == 1
    assert [(p["index"], p["field"]) for p in result["rejected"]] == [
        (1, "productId"), (2, "recommendationId"), (3, "id"), (4, "sessionId"),
    ]  # fmt: skip
    assert "unknown product id 'nope'" in result["rejected"][0]["message"]
    too_many = error_of(client, RECORD, {"events": [event("VIEW", "P1") for _ in range(1001)]})
    assert too_many["extensions"]["code"] == "LIMIT_EXCEEDED"
