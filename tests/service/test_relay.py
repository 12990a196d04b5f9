"""Relay over HTTP against the seeded graph (``tests.service.api.GRAPH``): the ``Node`` interface and
its global ids, ``node``/``nodes`` in one round trip per type, and connections paged both ways."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from starlette.testclient import TestClient

from service.pagination import encode_cursor
from tests.service.api import data, error_of, neo4j_calls

pytestmark = pytest.mark.integration

NODE = """query($id: ID!) { node(id: $id) { __typename id
    ... on Product { productId title }
    ... on Customer { customerId country orderCount }
    ... on ModelVersion { versionId status }
    ... on Job { jobId state } } }"""


def global_id(type_name: str, own_id: str) -> str:
    return base64.b64encode(f"{type_name}:{own_id}".encode()).decode()


def test_every_node_type_refetches_by_its_global_id(client: TestClient) -> None:
    seen = data(
        client,
        """{ product(id: "P1") { id productId }
        customers(first: 1) { edges { node { id customerId } } }
        activeModel { id versionId } job(id: "J1") { id jobId } }""",
    )
    ids = {
        "Product": (seen["product"]["id"], {"productId": "P1", "title": "Desk lamp"}),
        "Customer": (
            seen["customers"]["edges"][0]["node"]["id"],
            {"customerId": "C1", "country": "UK", "orderCount": 2},
        ),
        "ModelVersion": (seen["activeModel"]["id"], {"versionId": "v2", "status": "active"}),
        "Job": (seen["job"]["id"], {"jobId": "J1", "state": "SUCCEEDED"}),
    }
    for type_name, (node_id, fields) in ids.items():
        own_id = next(iter(fields.values()))
        assert node_id == global_id(type_name, own_id)  # opaque to clients, but Strawberry's format
        assert data(client, NODE, {"id": node_id})["node"] == {
            "__typename": type_name,
            "id": node_id,
            **fields,
        }
    # gone (or never there): null, as Relay expects of a node that no longer exists
    assert data(client, NODE, {"id": global_id("Product", "nope")})["node"] is None
    # the fields named `id` take the global id as well as the own id
    by_global = {"p": ids["Product"][0], "j": ids["Job"][0]}
    assert data(
        client, "query($p: ID!, $j: ID!) { product(id: $p) { productId } job(id: $j) { jobId } }", by_global
    ) == {
        "product": {"productId": "P1"},
        "job": {"jobId": "J1"},
    }


def test_nodes_answer_in_order_in_one_round_trip_per_type(client: TestClient) -> None:
    asked = [
        global_id("Product", "P2"),
        global_id("Customer", "C2"),
        global_id("Product", "nope"),
        global_id("Product", "P1"),
        global_id("Job", "J2"),
        global_id("Customer", "C404"),
    ]
    before = neo4j_calls(client)
    found = data(
        client,
        """query($ids: [ID!]!) { nodes(ids: $ids) { __typename
            ... on Product { productId } ... on Customer { customerId } ... on Job { jobId } } }""",
        {"ids": asked},
    )["nodes"]
    assert neo4j_calls(client) - before == 3  # products, customers, jobs: one statement each
    assert found == [
        {"__typename": "Product", "productId": "P2"},
        {"__typename": "Customer", "customerId": "C2"},
        None,
        {"__typename": "Product", "productId": "P1"},
        {"__typename": "Job", "jobId": "J2"},
        None,
    ]
    too_many = error_of(
        client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [global_id("Product", "P1")] * 101}
    )
    assert too_many["extensions"]["code"] == "LIMIT_EXCEEDED" and "max_page_size" in too_many["message"]


def test_bad_global_ids_are_named(client: TestClient) -> None:
    not_global = error_of(client, '{ node(id: "P1") { id } }')
    assert not_global["extensions"]["code"] == "BAD_INPUT"
    assert not_global["message"].startswith("'P1' in argument 'id' is not a global id")
    not_a_node = error_of(client, NODE, {"id": global_id("Category", "home")})
    assert not_a_node["extensions"]["code"] == "BAD_INPUT"
    assert "'Category', which is not a Node type" in not_a_node["message"]


PAGE = (
    "%s { totalCount edges { cursor node { %s } } "
    "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }"
)
C1 = global_id("Customer", "C1")
#: Each connection: the query around it (``%s`` stands for the connection field with its page), the
#: path to it in the answer, the node field to pick and the whole list in order.
CONNECTIONS = {
    "customers": ("{ %s }", ["customers"], "customers", "customerId", ["C1", "C2", "C3"]),
    "jobs": ("{ %s }", ["jobs"], "jobs", "jobId", ["J2", "J1"]),
    "modelVersions": ("{ %s }", ["modelVersions"], "modelVersions", "versionId", ["v2", "v1"]),
    "orders": (
        '{ node(id: "' + C1 + '") { ... on Customer { %s } } }',
        ["node", "orders"],
        "orders",
        "orderId",
        ["O2", "O1"],
    ),
}


def _walk(client: TestClient, connection: str, forward: bool, size: int) -> list[str]:
    """Every node of ``connection``, a page of ``size`` at a time forwards or backwards, checking the
    page info on the way; their ids in list order whichever way it walked."""
    around, path, field, pick, _ = CONNECTIONS[connection]
    arguments = "(first: $size, after: $cursor)" if forward else "(last: $size, before: $cursor)"
    query = "query($size: Int, $cursor: String) " + around % (PAGE % (field + arguments, pick))
    ids: list[str] = []
    cursor = None
    while True:
        page: Any = data(client, query, {"size": size, "cursor": cursor})
        for name in path:
            page = page[name]
        info, edges = page["pageInfo"], page["edges"]
        assert 0 < len(edges) <= size
        assert info["startCursor"] == edges[0]["cursor"] and info["endCursor"] == edges[-1]["cursor"]
        page_ids = [edge["node"][pick] for edge in edges]
        ids = ids + page_ids if forward else page_ids + ids
        # the side the walk came from has a page exactly when a cursor was given
        assert (info["hasPreviousPage"] if forward else info["hasNextPage"]) is (cursor is not None)
        if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
            assert len(ids) == page["totalCount"]
            return ids
        cursor = info["endCursor"] if forward else info["startCursor"]


@pytest.mark.parametrize("connection", sorted(CONNECTIONS))
def test_connections_page_both_ways(client: TestClient, connection: str) -> None:
    expected = CONNECTIONS[connection][-1]
    for forward in (True, False):
        for size in (1, 2, 20):
            assert _walk(client, connection, forward, size) == expected, (forward, size)


def test_a_customers_orders_hold_their_lines(client: TestClient) -> None:
    orders = data(
        client,
        """query($id: ID!) { node(id: $id) { ... on Customer { orders(last: 1) { edges { node {
            orderId ts lines { productId quantity unitPrice product { title } } } } } } } }""",
        {"id": C1},
    )["node"]["orders"]["edges"]
    assert orders == [
        {
            "node": {
                "orderId": "O1",
                "ts": orders[0]["node"]["ts"],
                "lines": [
                    {"productId": "P1", "quantity": 1, "unitPrice": 1.0, "product": {"title": "Desk lamp"}},
                    {
                        "productId": "P2",
                        "quantity": 1,
                        "unitPrice": 1.0,
                        "product": orders[0]["node"]["lines"][1]["product"],
                    },
                ],
            }
        }
    ]
    assert orders[0]["node"]["ts"].startswith("2011-01-01T10:00")


def test_paging_mistakes_are_named(client: TestClient) -> None:
    both = error_of(client, "{ jobs(first: 1, last: 1) { totalCount } }")
    assert both["extensions"]["code"] == "BAD_INPUT" and "not both" in both["message"]
    too_many = error_of(client, "{ modelVersions(last: 1000) { totalCount } }")
    assert too_many["extensions"]["code"] == "LIMIT_EXCEEDED" and "last=1000" in too_many["message"]
    foreign = data(client, "{ customers(first: 1) { pageInfo { endCursor } } }")["customers"]["pageInfo"]
    wrong_list = error_of(
        client, "query($c: String) { jobs(after: $c) { totalCount } }", {"c": foreign["endCursor"]}
    )
    assert (
        wrong_list["extensions"]["code"] == "BAD_INPUT"
        and "does not belong to this list" in wrong_list["message"]
    )
    # a cursor made by hand: its values reach the Cypher only when they are what the API makes
    jobs_query = "query($c: String) { jobs(first: 1, after: $c) { edges { node { jobId } } } }"
    for forged in ({"at": "yesterday", "id": "J2"}, {"at": "2011-08-01T00:00Z", "id": 5}):
        refused = error_of(client, jobs_query, {"c": encode_cursor(forged)})
        assert refused["extensions"]["code"] == "BAD_INPUT" and "not made by this API" in refused["message"]
    # extra keys are dropped, not passed on as parameters (they would collide with the filters)
    extra = encode_cursor({"at": "2011-08-01T00:00Z", "id": "J2", "state": "x", "forward": False})
    assert data(client, jobs_query, {"c": extra})["jobs"]["edges"] == [{"node": {"jobId": "J1"}}]
