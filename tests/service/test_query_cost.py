"""The query cost estimate (hand-computed) and its limit, through the API on the seeded graph."""

from __future__ import annotations

from typing import Any

import graphql
from starlette.testclient import TestClient

from affinity.settings import Settings
from service.app import create_app
from service.query_cost import UNPAGED_LIST_SIZE, operation_cost
from service.schema import build_schema
from tests.service.api import READ

SCHEMA = build_schema(Settings())._schema

#: The issue's example: three nested pages of 100 associations.
NESTED = """{ product(id: "P1") { associations(kind: OBSERVED, first: 100) { product {
  associations(kind: COMPLEMENT, first: 100) { product {
    associations(kind: COMPLEMENT, first: 100) { product { title } } } } } } } }"""
#: What a shop's product page asks: the product, what goes with it, a page of similar ones.
PRODUCT_PAGE = """query Page($id: ID!) {
  product(id: $id) { productId title price tags categories { path }
    associations(kind: COMPLEMENT, first: 10) {
      score product { productId title price } explanation { lift } } }
  similarProducts(productId: $id, first: 8) { score product { productId title } }
}"""


def cost(document: str, variables: dict[str, Any] | None = None, max_page_size: int = 100) -> float:
    parsed = graphql.parse(document)
    operations = [d for d in parsed.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, graphql.FragmentDefinitionNode)}
    return operation_cost(SCHEMA, operations[0], fragments, variables, max_page_size)


def test_cost_counts_objects_times_pages_weighted() -> None:
    # product 1; 10 learned associations (weight 1) each with its product (1): 1 + 10 + 10
    page = (
        '{ product(id: "P1") { title '
        "associations(kind: COMPLEMENT, first: 10) { score product { productId } } } }"
    )
    assert cost(page) == 21
    # observed associations weigh 2 each: 1 + 2 * 10 + 10
    assert (
        cost('{ product(id: "P1") { associations(kind: OBSERVED, first: 10) { product { productId } } } }')
        == 31
    )
    # a connection counts its page once: products 5 + edges 5 + nodes 5 + their categories 5 * 5
    assert (
        cost("{ products(first: 5) { edges { node { categories { path } } } } }")
        == 15 + 5 * UNPAGED_LIST_SIZE
    )
    # scalars are free: only the product object
    assert cost('{ product(id: "P1") { productId title price tags } }') == 1


def test_cost_follows_variables_defaults_and_fragments() -> None:
    by_fragment = """query($n: Int! = 4) { product(id: "P1") { ...A } }
      fragment A on Product { associations(kind: COMPLEMENT, first: $n) { product { ...B } } }
      fragment B on Product { associations(kind: SUBSTITUTE, first: 3) { score } }"""
    # the variable's default (4): 1 + 4 + 4 + 4 * 3
    assert cost(by_fragment) == 21
    assert cost(by_fragment, {"n": 2}) == 1 + 2 + 2 + 2 * 3
    # a `first` over max_page_size counts as the largest page (its own limit refuses it)
    assert (
        cost(
            '{ product(id: "P1") { associations(kind: COMPLEMENT, first: 100000) { score } } }',
            max_page_size=50,
        )
        == 51
    )


def test_connections_cost_their_page_either_way_and_nodes_their_ids() -> None:
    # the page (first, last, or the default 20), its edges (one per node) and the nodes
    assert cost("{ jobs(first: 5) { edges { node { jobId } } } }") == 5 + 5 + 5
    assert cost("{ jobs(last: 3) { edges { node { jobId } } } }") == 3 + 3 + 3
    assert cost("{ modelVersions { edges { node { versionId } } } }") == 20 + 20 + 20
    # a customer's orders, two lines each (unpaged list), each line with its product
    orders = """{ customers(first: 2) { edges { node { orders(last: 4) { edges { node {
        lines { product { title } } } } } } } } }"""
    assert cost(orders) == 2 + 2 + 2 + 8 + 8 + 8 + 8 * UNPAGED_LIST_SIZE * 2
    assert cost('{ nodes(ids: ["a", "b", "c"]) { id } }') == 3


def test_nested_pages_cost_millions_and_a_product_page_little() -> None:
    assert cost(NESTED) > 1_000_000
    assert cost(PRODUCT_PAGE, {"id": "P1"}) < 100 < Settings().max_query_cost


def test_over_budget_is_refused_before_any_resolver(client: TestClient, settings: Settings) -> None:
    answer = client.post("/graphql", json={"query": NESTED}, headers=READ).json()
    assert answer.get("data") is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert error["extensions"]["limit"] == "max_query_cost"
    assert error["extensions"]["maximum"] == settings.max_query_cost
    assert error["extensions"]["cost"] == round(cost(NESTED))
    assert "max_query_cost=5000" in error["message"]
    assert error["extensions"]["requestId"]


def test_front_end_queries_are_unaffected(client: TestClient) -> None:
    answer = client.post(
        "/graphql", json={"query": PRODUCT_PAGE, "variables": {"id": "P1"}}, headers=READ
    ).json()
    assert "errors" not in answer, answer
    assert answer["data"]["product"]["associations"]


def test_the_budget_is_a_setting_and_zero_turns_it_off(seeded: object, settings: Settings) -> None:
    small_pages = NESTED.replace("first: 100", "first: 2")
    tight = settings.model_copy(update={"max_query_cost": 10})
    with TestClient(create_app(tight)) as tight_client:
        answer = tight_client.post(
            "/graphql", json={"query": PRODUCT_PAGE, "variables": {"id": "P1"}}, headers=READ
        ).json()
        assert answer["errors"][0]["extensions"]["maximum"] == 10
    unlimited = settings.model_copy(update={"max_query_cost": 0})
    with TestClient(create_app(unlimited)) as open_client:
        answer = open_client.post("/graphql", json={"query": NESTED}, headers=READ).json()
        assert "errors" not in answer, answer
        assert "errors" not in open_client.post("/graphql", json={"query": small_pages}, headers=READ).json()
