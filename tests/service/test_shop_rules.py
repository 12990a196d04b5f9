"""A shop's rules over HTTP: list filters (with `first` counted after filtering), availability,
deleting products and erasing a customer, on the API tests' known graph (``tests.service.api``),
checked with Cypher against the real Neo4j."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import neo4j
import pytest
from starlette.testclient import TestClient

from affinity.settings import Settings
from ingest.associations import observe
from tests.service.api import ADMIN, GRAPH, data, error_of, neo4j_calls, seed_graph
from tests.statements import TEST_CYPHER

pytestmark = pytest.mark.integration

MENTIONS = TEST_CYPHER.query("mentions")
PRODUCT_RELATIONSHIPS = TEST_CYPHER.query("product_relationships")
BOUGHT_WITH = TEST_CYPHER.query("bought_with")
COUNT_ORDERS = TEST_CYPHER.query("count_orders")


@pytest.fixture
def fresh(seeded: neo4j.Driver, settings: Settings) -> neo4j.Driver:
    """The known graph, seeded again for each test (they write to it)."""
    seed_graph(seeded, settings)
    return seeded


ASSOCIATIONS = """query($filter: ProductFilter, $first: Int) {
  associations(productId: "P1", first: $first, filter: $filter) { product { productId available } rank } }"""


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["product"]["productId"] for item in items]


def associated(client: TestClient, filter: dict[str, Any] | None, first: int = 10) -> list[str]:
    return ids(data(client, ASSOCIATIONS, {"filter": filter, "first": first})["associations"])


# ---------------------------------------------------------------- filters


def test_each_filter_applies_to_the_learned_associations(client: TestClient, fresh: neo4j.Driver) -> None:
    # P1's complements in the active version: P2 (home/lighting, 3.5), P3 (home/lighting, 12), P6 (none, 6)
    assert associated(client, None) == ["P2", "P3", "P6"]
    assert associated(client, {"excludeIds": ["P2"]}) == ["P3", "P6"]
    assert associated(client, {"categories": ["home"]}) == ["P2", "P3"]  # a subcategory counts
    assert associated(client, {"excludeCategories": ["home"]}) == ["P6"]
    assert associated(client, {"minPrice": 5}) == ["P3", "P6"]
    assert associated(client, {"maxPrice": 10}) == ["P2", "P6"]
    assert associated(client, {"minPrice": 5, "maxPrice": 10, "excludeIds": ["P3"]}) == ["P6"]


def test_first_is_counted_after_filtering(client: TestClient, fresh: neo4j.Driver) -> None:
    assert associated(client, None, first=2) == ["P2", "P3"]
    assert associated(client, {"excludeIds": ["P2"]}, first=2) == ["P3", "P6"]
    observed = data(
        client,
        """{ product(id: "P1") { associations(kind: OBSERVED, first: 1, filter: {excludeIds: ["P2"]}) {
        product { productId } } } }""",
    )["product"]["associations"]
    assert ids(observed) == ["P3"]


def test_similar_products_widen_the_search_until_first_pass_the_filter(
    client: TestClient, fresh: neo4j.Driver
) -> None:
    # P1's nearest are P2 and P3 (lighting); the tea things come only after them in the index.
    query = """query($filter: ProductFilter) {
      similarProducts(productId: "P1", first: 2, filter: $filter) { product { productId } } }"""
    assert ids(data(client, query, {"filter": None})["similarProducts"]) == ["P2", "P3"]
    found = ids(data(client, query, {"filter": {"categories": ["kitchen"]}})["similarProducts"])
    assert found == ["P4", "P5"]


def test_recommendations_honour_the_filter_down_to_the_popular_fallback(
    client: TestClient, fresh: neo4j.Driver
) -> None:
    query = """query($basket: [ID!], $customer: ID, $filter: ProductFilter) {
      recommendations(basket: $basket, customerId: $customer, first: 2, filter: $filter) {
      strategy items { product { productId } } } }"""
    basket = data(client, query, {"basket": ["P1"], "filter": {"excludeIds": ["P2"]}})["recommendations"]
    assert basket["strategy"] == "BASKET" and ids(basket["items"]) == ["P3", "P6"]
    cold = data(client, query, {"customer": "C3", "filter": {"categories": ["kitchen"]}})["recommendations"]
    assert cold["strategy"] == "POPULAR" and ids(cold["items"]) == ["P4", "P5"]


def test_bad_filters_are_refused_by_name(client: TestClient, fresh: neo4j.Driver) -> None:
    unknown = error_of(client, ASSOCIATIONS, {"filter": {"categories": ["home", "garden"]}})
    assert unknown["extensions"]["code"] == "NOT_FOUND" and "'garden'" in unknown["message"]
    inverted = error_of(client, ASSOCIATIONS, {"filter": {"minPrice": 10, "maxPrice": 5}})
    assert inverted["extensions"]["code"] == "BAD_INPUT" and "minPrice" in inverted["message"]
    negative = error_of(client, ASSOCIATIONS, {"filter": {"minPrice": -1}})
    assert negative["extensions"]["code"] == "BAD_INPUT"
    too_many = error_of(client, ASSOCIATIONS, {"filter": {"excludeIds": [f"x{i}" for i in range(1001)]}})
    assert too_many["extensions"]["code"] == "LIMIT_EXCEEDED" and "excludeIds" in too_many["message"]


def test_products_by_ids_in_one_round_trip(client: TestClient, fresh: neo4j.Driver) -> None:
    before = neo4j_calls(client)
    found = data(client, '{ productsByIds(ids: ["P2", "nope", "P1", "P3"]) { productId title } }')[
        "productsByIds"
    ]
    assert neo4j_calls(client) - before == 1
    assert [p and p["productId"] for p in found] == ["P2", None, "P1", "P3"]
    too_many = error_of(
        client, "query($ids: [ID!]!) { productsByIds(ids: $ids) { productId } }", {"ids": ["P1"] * 101}
    )
    assert too_many["extensions"]["code"] == "LIMIT_EXCEEDED" and "max_page_size" in too_many["message"]


# ---------------------------------------------------------------- availability


SET_AVAILABILITY = """mutation($ids: [ID!]!, $available: Boolean!) {
  setAvailability(ids: $ids, available: $available) { updated unknownIds } }"""


def test_an_unavailable_product_leaves_every_list_until_available_again(
    client: TestClient, fresh: neo4j.Driver
) -> None:
    changed = data(client, SET_AVAILABILITY, {"ids": ["P2", "nope"], "available": False}, ADMIN)
    assert changed["setAvailability"] == {"updated": ["P2"], "unknownIds": ["nope"]}
    assert data(client, '{ product(id: "P2") { available } }')["product"]["available"] is False
    assert associated(client, None, first=2) == ["P3", "P6"]
    assert associated(client, {"includeUnavailable": True}, first=2) == ["P2", "P3"]
    similar = data(client, '{ similarProducts(productId: "P1", first: 1) { product { productId } } }')
    assert ids(similar["similarProducts"]) == ["P3"]
    popular = data(
        client, '{ recommendations(customerId: "C3", first: 3) { strategy items { product { productId } } } }'
    )["recommendations"]
    assert popular["strategy"] == "POPULAR" and "P2" not in ids(popular["items"])
    again = data(client, SET_AVAILABILITY, {"ids": ["P2"], "available": True}, ADMIN)
    assert again["setAvailability"]["updated"] == ["P2"]
    assert associated(client, None, first=2) == ["P2", "P3"]


def test_availability_needs_the_admin_key(client: TestClient, fresh: neo4j.Driver) -> None:
    refused = error_of(client, SET_AVAILABILITY, {"ids": ["P2"], "available": False})
    assert refused["extensions"]["code"] == "FORBIDDEN"


# ---------------------------------------------------------------- deletion and erasure


def test_deleting_a_product_leaves_nothing_of_it_and_is_idempotent(
    client: TestClient, fresh: neo4j.Driver, settings: Settings
) -> None:
    query = 'mutation { deleteProducts(ids: ["P1", "gone"]) { deleted absentIds } }'
    assert data(client, query, headers=ADMIN)["deleteProducts"] == {"deleted": ["P1"], "absentIds": ["gone"]}
    (row,) = fresh.execute_query(PRODUCT_RELATIONSHIPS, id="P1", database_=settings.neo4j_database).records
    assert (row["nodes"], row["relationships"], row["orphan_reviews"]) == (0, 0, 0)
    assert data(client, query, headers=ADMIN)["deleteProducts"] == {
        "deleted": [],
        "absentIds": ["P1", "gone"],
    }
    error = error_of(client, '{ product(id: "P1") { productId } }')
    assert error["extensions"]["code"] == "NOT_FOUND"
    basket = data(client, '{ recommendations(basket: ["P2"], first: 5) { items { product { productId } } } }')
    assert "P1" not in ids(basket["recommendations"]["items"])


ERASE = (
    """mutation($id: ID!) { eraseCustomer(id: $id) { found orders reviews events recountJobId warnings } }"""
)
RECORD_EVENT = """mutation { recordEvents(events: [{id: "e1", type: CLICK, productId: "P1", customerId: "C1",
  ts: "2011-09-01T00:00:00Z"}]) { recorded } }"""


def test_erasing_a_customer_leaves_their_id_nowhere(
    client: TestClient, fresh: neo4j.Driver, settings: Settings
) -> None:
    database = settings.neo4j_database
    assert data(client, RECORD_EVENT)["recordEvents"]["recorded"] == 1
    (before,) = fresh.execute_query(MENTIONS, value="C1", database_=database).records
    assert before["nodes"] == 2  # the customer and the event hold the id; the check can see them
    erased = data(client, ERASE, {"id": "C1"}, ADMIN)["eraseCustomer"]
    assert (erased["found"], erased["orders"], erased["reviews"], erased["events"]) == (True, 2, 1, 1)
    # The recount of co-purchases goes to a worker, or the answer says how to run it.
    assert erased["recountJobId"] or "affinity associations observe" in " ".join(erased["warnings"])
    (after,) = fresh.execute_query(MENTIONS, value="C1", database_=database).records
    assert (after["nodes"], after["relationships"]) == (0, 0)
    orders = fresh.execute_query(COUNT_ORDERS, database_=database).records[0]["n"]
    assert orders == len(GRAPH["orders"]) - 2
    again = data(client, ERASE, {"id": "C1"}, ADMIN)["eraseCustomer"]
    assert (again["found"], again["orders"], again["recountJobId"]) == (False, 0, None)


def bought_together(driver: neo4j.Driver, database: str) -> dict[tuple[str, str], int]:
    return {
        (r["source"], r["target"]): r["baskets"]
        for r in driver.execute_query(BOUGHT_WITH, database_=database).records
    }


def test_the_erase_command_recounts_the_co_purchases_without_the_orders(
    fresh: neo4j.Driver, settings: Settings
) -> None:
    # C2's only order (O3) is the one basket holding P4 and P5 together; the observe pass has run.
    database = settings.neo4j_database
    observe(fresh, database, min_support=1, batch_size=100)
    assert ("P4", "P5") in bought_together(fresh, database)
    env = {**os.environ, "AFFINITY_MIN_SUPPORT_BASKETS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "customers", "erase", "C2", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["erasure"] == {"found": True, "orders": 1, "reviews": 0, "events": 0}
    edges = bought_together(fresh, database)
    assert ("P4", "P5") not in edges and ("P5", "P4") not in edges
    assert edges[("P1", "P2")] == 2  # O1 and O4 still hold both
