"""The GraphQL API over HTTP (httpx through Starlette's TestClient, lifespan included) against a
real Neo4j holding a small, known graph (``tests.service.api.GRAPH``)."""

from __future__ import annotations

import math
import time

import pytest
from pydantic import SecretStr
from starlette.requests import Request
from starlette.testclient import TestClient

from affinity.settings import Settings
from service.app import create_app, metrics_refusal
from stores.versions import GATE_METRIC
from tests.service.api import GRAPH, READ, data, error_of, gql

pytestmark = pytest.mark.integration


# ---------------------------------------------------------------- products


def test_product_with_every_field(client: TestClient) -> None:
    product = data(
        client,
        """{ product(id: "P1") { productId title description price updatedAt embeddingModel hasEmbedding
        tags categories { id name path }
        reviews(first: 1) { count averageRating items { id rating text ts customerId } } } }""",
    )["product"]
    assert product["productId"] == "P1" and product["title"] == "Desk lamp" and product["price"] == 20.0
    assert product["hasEmbedding"] and product["embeddingModel"] == "test-model"
    assert product["updatedAt"].startswith("2011-09-01")
    assert product["tags"] == ["desk", "lighting"]
    assert product["categories"] == [
        {"id": "home/lighting", "name": "Lighting", "path": ["Home", "Lighting"]}
    ]
    reviews = product["reviews"]
    assert reviews["count"] == 2 and reviews["averageRating"] == 4.0
    assert reviews["items"] == [
        {"id": "R2", "rating": 3, "text": "OK", "ts": reviews["items"][0]["ts"], "customerId": None}
    ]


def test_unknown_product_is_a_clear_not_found_error(client: TestClient) -> None:
    error = error_of(client, '{ product(id: "nope") { productId } }')
    assert error["message"] == "unknown product id 'nope' in argument 'id'"
    assert error["extensions"]["code"] == "NOT_FOUND" and error["extensions"]["requestId"]


def test_pagination_walks_every_product_once(client: TestClient) -> None:
    query = """query($after: String) { products(first: 7, after: $after) {
        totalCount edges { cursor node { productId } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = data(client, query, {"after": after})["products"]
        pages += 1
        assert page["totalCount"] == 37
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [edge["node"]["productId"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = sorted(p["id"] for p in GRAPH["products"])
    assert seen == expected  # every product, once, in order: no duplicates, no gaps
    assert pages == math.ceil(37 / 7)


def test_search_pages_by_relevance_without_duplicates(client: TestClient) -> None:
    query = """query($after: String) { products(search: "lamp", first: 1, after: $after) {
        totalCount edges { score node { productId } } pageInfo { hasNextPage endCursor } } }"""
    seen, scores, after = [], [], None
    while True:
        page = data(client, query, {"after": after})["products"]
        seen += [e["node"]["productId"] for e in page["edges"]]
        scores += [e["score"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert page["totalCount"] == len(seen) == len(set(seen))
    assert set(seen) == {
        "P1",
        "P3",
    }  # "Desk lamp", "Lamp shade" (the standard analyser does not stem "lamps")
    assert scores == sorted(scores, reverse=True)


def test_tag_and_category_filters(client: TestClient) -> None:
    result = data(
        client,
        """{ t: products(tag: "tea") { totalCount edges { node { productId } } }
        c: products(category: "home", first: 50) { totalCount edges { node { productId } } }
        k: products(category: "kitchen", tag: "filler", first: 50) { totalCount } }""",
    )
    assert [e["node"]["productId"] for e in result["t"]["edges"]] == ["P4", "P5"]
    # "home" includes its subcategory "home/lighting".
    assert [e["node"]["productId"] for e in result["c"]["edges"]] == ["P1", "P2", "P3"] and result["c"][
        "totalCount"
    ] == 3
    assert result["k"]["totalCount"] == 15


def test_bad_cursor_is_rejected_clearly(client: TestClient) -> None:
    error = error_of(client, '{ products(after: "garbage!!") { totalCount } }')
    assert error["extensions"]["code"] == "BAD_INPUT" and "cursor" in error["message"]


def test_similar_products_by_product(client: TestClient) -> None:
    hits = data(client, '{ similarProducts(productId: "P1", first: 3) { score product { productId } } }')[
        "similarProducts"
    ]
    assert [h["product"]["productId"] for h in hits][:2] == ["P2", "P3"]
    assert all(0 <= h["score"] <= 1 for h in hits)


def test_similar_products_needs_an_embedding_or_one_argument(client: TestClient) -> None:
    assert "no embedding yet" in error_of(client, '{ similarProducts(productId: "P6") { score } }')["message"]
    assert (
        "unknown product id" in error_of(client, '{ similarProducts(productId: "zz") { score } }')["message"]
    )
    both = error_of(client, '{ similarProducts(productId: "P1", text: "lamp") { score } }')
    assert "exactly one" in both["message"]


# ---------------------------------------------------------------- associations


ASSOCIATIONS = """query($id: ID!, $kind: AssociationKind!, $first: Int, $min: Float) {
  associations(productId: $id, kind: $kind, first: $first, minScore: $min) {
    product { productId title tags } kind score rank modelVersion sourceId
    explanation { source modelVersion sharedBaskets support confidence lift lastSeen sharedTags
                  sharedCategories summary } } }"""


def test_learned_complements_of_the_active_version_only(client: TestClient) -> None:
    items = data(client, ASSOCIATIONS, {"id": "P1", "kind": "COMPLEMENT"})["associations"]
    assert [(a["product"]["productId"], a["rank"], a["modelVersion"]) for a in items] == [
        ("P2", 1, "v2"),
        ("P3", 2, "v2"),
        ("P6", 3, "v2"),
    ]  # v1's P1->P4 (score 0.99) is retired and never served
    first = items[0]
    assert (
        first["score"] == 0.9
        and first["sourceId"] == "P1"
        and first["product"]["tags"] == ["bulb", "lighting"]
    )
    explanation = first["explanation"]
    assert explanation["source"] == "LEARNED" and explanation["modelVersion"] == "v2"
    assert explanation["sharedBaskets"] == 2 and explanation["lift"] == 1.67
    assert explanation["sharedTags"] == ["lighting"] and explanation["sharedCategories"] == ["Lighting"]
    assert "model v2" in explanation["summary"] and "2 baskets" in explanation["summary"]


def test_association_limits_and_min_score(client: TestClient) -> None:
    items = data(client, ASSOCIATIONS, {"id": "P1", "kind": "COMPLEMENT", "first": 5, "min": 0.6})[
        "associations"
    ]
    assert [a["product"]["productId"] for a in items] == ["P2", "P3"]
    items = data(client, ASSOCIATIONS, {"id": "P1", "kind": "SUBSTITUTE", "first": 1})["associations"]
    assert [(a["product"]["productId"], a["kind"]) for a in items] == [("P3", "SUBSTITUTE")]


def test_observed_associations(client: TestClient) -> None:
    items = data(client, ASSOCIATIONS, {"id": "P1", "kind": "OBSERVED"})["associations"]
    assert [(a["product"]["productId"], a["rank"], a["score"]) for a in items] == [
        ("P2", 1, 0.67),
        ("P3", 2, 0.33),
    ]
    assert items[0]["modelVersion"] is None and items[0]["explanation"]["source"] == "OBSERVED"


def test_unknown_product_in_associations(client: TestClient) -> None:
    error = error_of(client, ASSOCIATIONS, {"id": "missing", "kind": "COMPLEMENT"})
    assert error["extensions"]["code"] == "NOT_FOUND" and "'missing'" in error["message"]


def test_nested_associations_batch_into_one_round_trip_per_level(client: TestClient) -> None:
    # 2 products -> their associations -> each association's product tags: 1 + 1 + 1 statements
    # (plus the explanation level), however many items each level has.
    response = client.post(
        "/graphql",
        json={
            "query": """{ products(first: 5) { edges { node { productId
            associations(kind: OBSERVED) { product { productId tags } explanation { sharedTags } } } } } }"""
        },
        headers=READ,
    )
    assert response.status_code == 200 and not response.json().get("errors")
    metrics = client.get("/metrics").text
    for name in ("associations.observed", "products.tags", "associations.explanations"):
        assert f'statement="{name}"' in metrics


# ---------------------------------------------------------------- recommendations


RECOMMEND = """query($c: ID, $b: [ID!], $first: Int, $ex: Boolean, $div: Boolean) {
  recommendations(customerId: $c, basket: $b, first: $first, excludePurchased: $ex, diversify: $div) {
    strategy edgeSource modelVersion fallbackReason unknownProductIds
    items { rank score because category product { productId } } } }"""


def test_recommendations_for_a_customer_from_learned_edges(client: TestClient) -> None:
    rec = data(client, RECOMMEND, {"c": "C1"})["recommendations"]
    assert (
        rec["strategy"] == "CUSTOMER_HISTORY"
        and rec["edgeSource"] == "LEARNED"
        and rec["modelVersion"] == "v2"
    )
    ids = [i["product"]["productId"] for i in rec["items"]]
    # C1 bought P1 and P2; P3 is reached from both (0.7*2 + 0.8*1), P6 from P1 only.
    assert (ids == ["P3", "P6"] and rec["items"][0]["because"] == ["P1", "P2"]) or set(
        rec["items"][0]["because"]
    ) == {"P1", "P2"}
    assert rec["items"][0]["score"] == pytest.approx(0.7 * 2 + 0.8)
    kept = data(client, RECOMMEND, {"c": "C1", "ex": False})["recommendations"]
    assert "P2" in [i["product"]["productId"] for i in kept["items"]]


def test_recommendations_for_a_basket(client: TestClient) -> None:
    rec = data(client, RECOMMEND, {"b": ["P4", "ghost"]})["recommendations"]
    assert rec["strategy"] == "BASKET" and rec["unknownProductIds"] == ["ghost"]
    assert [i["product"]["productId"] for i in rec["items"]] == ["P5"]


def test_cold_and_unknown_customers_fall_back_to_popular(client: TestClient) -> None:
    for customer, reason in (("C3", "has no orders"), ("nobody", "unknown customer")):
        rec = data(client, RECOMMEND, {"c": customer, "first": 3})["recommendations"]
        assert rec["strategy"] == "POPULAR" and rec["edgeSource"] is None and reason in rec["fallbackReason"]
        assert [i["product"]["productId"] for i in rec["items"]] == [
            "P1",
            "P2",
            "P4",
        ]  # 4, 2, 2 orders; then by id


def test_diversify_spreads_categories(client: TestClient) -> None:
    plain = data(client, RECOMMEND, {"b": ["P1"], "first": 2})["recommendations"]["items"]
    spread = data(client, RECOMMEND, {"b": ["P1"], "first": 2, "div": True})["recommendations"]["items"]
    assert [(i["product"]["productId"], i["category"]) for i in plain] == [
        ("P2", "home/lighting"),
        ("P3", "home/lighting"),
    ]
    assert [(i["product"]["productId"], i["category"]) for i in spread] == [
        ("P2", "home/lighting"),
        ("P6", None),
    ]


def test_recommendations_need_a_customer_or_a_basket(client: TestClient) -> None:
    assert "or both" in error_of(client, "{ recommendations { strategy } }")["message"]


# ---------------------------------------------------------------- explain


EXPLAIN = """query($a: ID!, $b: ID!) { explain(from: $a, to: $b) {
  found modelVersion from { productId } to { productId }
  steps { kind via baskets lift score associationKind summary from { productId } to { productId } } } }"""


def test_explain_direct_and_via_tags(client: TestClient) -> None:
    direct = data(client, EXPLAIN, {"a": "P1", "b": "P2"})["explain"]
    assert direct["found"] and len(direct["steps"]) == 1
    assert direct["steps"][0]["kind"] in ("BOUGHT_WITH", "LEARNED_ASSOCIATION")
    # P6 and P3 share the tag "decor": two relationships, as short as P3 -> P1 -> P6 over co-purchase and
    # learned edges; which of the equally short paths Neo4j finds first is not specified.
    via = data(client, EXPLAIN, {"a": "P3", "b": "P6"})["explain"]
    kinds = [s["kind"] for s in via["steps"]]
    assert kinds == ["SHARED_TAG"] or (
        len(kinds) == 2 and set(kinds) <= {"LEARNED_ASSOCIATION", "BOUGHT_WITH"}
    ), kinds
    step = via["steps"][0]
    assert step["from"]["productId"] == "P3" and via["steps"][-1]["to"]["productId"] == "P6"
    if step["kind"] == "SHARED_TAG":
        assert step["via"] == "decor" and "decor" in step["summary"]


def test_explain_without_a_path_and_with_unknown_ids(client: TestClient) -> None:
    none = data(client, EXPLAIN, {"a": "P1", "b": "P7"})["explain"]
    assert none == {
        "found": False,
        "modelVersion": "v2",
        "from": {"productId": "P1"},
        "to": {"productId": "P7"},
        "steps": [],
    }
    error = error_of(client, EXPLAIN, {"a": "P1", "b": "X9"})
    assert error["message"] == "unknown product id 'X9' in argument 'to'"


# ---------------------------------------------------------------- models and jobs


def test_model_versions_and_active_model(client: TestClient) -> None:
    result = data(
        client,
        """{ modelVersions { totalCount edges { node {
              versionId status createdAt activatedAt params metrics dataWindow jobId edgeCount } } }
        activeModel { versionId status metrics edgeCount }
        retired: modelVersions(status: "retired") { totalCount edges { node { versionId } } } }""",
    )
    versions = [edge["node"] for edge in result["modelVersions"]["edges"]]
    assert [m["versionId"] for m in versions] == ["v2", "v1"] and result["modelVersions"]["totalCount"] == 2
    assert result["activeModel"] == {
        "versionId": "v2",
        "status": "active",
        "metrics": {"overall": {GATE_METRIC: 0.2}},
        "edgeCount": 7,
    }
    assert versions[1]["params"] == {"model": "sage"}
    assert result["retired"] == {"totalCount": 1, "edges": [{"node": {"versionId": "v1"}}]}


def test_jobs_and_polling_fields(client: TestClient) -> None:
    result = data(
        client,
        """{ running: job(id: "J2") { jobId kind state step done total progress finished pollAfterSeconds
          error options timings result createdAt updatedAt startedAt finishedAt modelVersion { versionId } }
        done: job(id: "J1") { state finished pollAfterSeconds modelVersion { versionId status } }
        all: jobs { edges { node { jobId } } }
        succeeded: jobs(state: SUCCEEDED) { totalCount edges { node { jobId } } } }""",
    )
    running = result["running"]
    assert running["state"] == "RUNNING" and running["progress"] == 0.3 and not running["finished"]
    assert running["pollAfterSeconds"] > 0 and running["modelVersion"] is None
    assert result["done"] == {
        "state": "SUCCEEDED",
        "finished": True,
        "pollAfterSeconds": 0.0,
        "modelVersion": {"versionId": "v2", "status": "active"},
    }
    assert [e["node"]["jobId"] for e in result["all"]["edges"]] == ["J2", "J1"]
    assert result["succeeded"] == {"totalCount": 1, "edges": [{"node": {"jobId": "J1"}}]}
    assert error_of(client, '{ job(id: "J404") { jobId } }')["extensions"]["code"] == "NOT_FOUND"


# ---------------------------------------------------------------- protection


def test_read_needs_a_key(client: TestClient) -> None:
    for headers in ({}, {"X-API-Key": "wrong"}):
        error = error_of(client, '{ product(id: "P1") { productId } }', headers=headers)
        assert error["extensions"]["code"] == "FORBIDDEN" and "X-API-Key" in error["message"]
    assert data(
        client, '{ product(id: "P1") { productId } }', headers={"Authorization": "Bearer dev-read-key"}
    )


def test_mutations_need_the_admin_key(client: TestClient) -> None:
    mutations = [
        'mutation { upsertProducts(products: [{id: "N1", title: "New"}]) { __typename } }',
        'mutation { addReviews(reviews: [{id: "RX", productId: "P1", rating: 5, ts: "2011-01-01T00:00:00"}])'
        " { __typename } }",
        'mutation { recordOrders(lines: [{orderId: "OX", ts: "2011-01-01T00:00:00", productId: "P1",'
        " quantity: 1, unitPrice: 1}]) { __typename } }",
        "mutation { retrain { __typename } }",
        'mutation { activateModel(version: "v1") { __typename } }',
        "mutation { rollbackModel { __typename } }",
    ]
    for mutation in mutations:
        body = gql(client, mutation, headers=READ)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", mutation
        assert "admin scope" in body["errors"][0]["message"]
    assert (
        data(client, "{ activeModel { versionId } }")["activeModel"]["versionId"] == "v2"
    )  # nothing changed
    assert error_of(client, '{ product(id: "N1") { productId } }')["extensions"]["code"] == "NOT_FOUND"


def test_depth_limit_is_named(client: TestClient, settings: Settings) -> None:
    nested = "product { productId }"
    for _ in range(settings.max_query_depth):
        nested = f"associations(kind: OBSERVED) {{ {nested} }}"
    error = error_of(client, f'{{ product(id: "P1") {{ {nested} }} }}')
    assert (
        f"exceeds maximum operation depth of {settings.max_query_depth} (max_query_depth)" in error["message"]
    )
    assert error["extensions"] | {"requestId": None} == {
        "code": "LIMIT_EXCEEDED",
        "limit": "max_query_depth",
        "maximum": settings.max_query_depth,
        "requestId": None,
    }


def test_page_size_limit_is_named(client: TestClient, settings: Settings) -> None:
    too_many = settings.max_page_size + 1
    for query in (
        f"{{ products(first: {too_many}) {{ totalCount }} }}",
        f'{{ associations(productId: "P1", first: {too_many}) {{ score }} }}',
        f'{{ recommendations(customerId: "C1", first: {too_many}) {{ strategy }} }}',
    ):
        error = error_of(client, query)
        assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert (
            f"exceeds the maximum page size of {settings.max_page_size} (max_page_size)" in error["message"]
        )


def test_token_and_alias_limits(client: TestClient, settings: Settings) -> None:
    aliases = " ".join(f"a{i}: activeModel {{ id }}" for i in range(settings.max_aliases + 1))
    error = error_of(client, f"{{ {aliases} }}")
    assert (
        error["message"]
        == f"{settings.max_aliases + 1} aliases found. Allowed: {settings.max_aliases} (max_aliases)"
    )
    assert error["extensions"]["limit"] == "max_aliases" and error["extensions"]["code"] == "LIMIT_EXCEEDED"
    fields = " ".join(["id"] * settings.max_query_tokens)
    error = error_of(client, f'{{ product(id: "P1") {{ {fields} }} }}')
    assert f"more than {settings.max_query_tokens} tokens" in error["message"]
    assert (
        error["message"].endswith("(max_query_tokens)") and error["extensions"]["limit"] == "max_query_tokens"
    )


INJECTIONS = [
    "' OR 1=1 //",
    '"}) MATCH (n) DETACH DELETE n //',
    "x` MATCH (n) DETACH DELETE n //",
    "\\'; CALL db.clearQueryCaches() //",
    "lamp) OR (*:*",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_cypher_injection_in_every_string_argument_is_data(client: TestClient, payload: str) -> None:
    v = {"p": payload}
    assert (
        error_of(client, "query($p: ID!) { product(id: $p) { productId } }", v)["extensions"]["code"]
        == "NOT_FOUND"
    )
    assert data(client, "query($p: String) { products(search: $p) { totalCount } }", v)
    assert (
        data(client, "query($p: String) { products(tag: $p) { totalCount } }", v)["products"]["totalCount"]
        == 0
    )
    assert (
        data(client, "query($p: ID) { products(category: $p) { totalCount } }", v)["products"]["totalCount"]
        == 0
    )
    assert (
        error_of(client, "query($p: String) { products(after: $p) { totalCount } }", v)["extensions"]["code"]
        == "BAD_INPUT"
    )
    assert (
        error_of(client, "query($p: ID) { similarProducts(productId: $p) { score } }", v)["extensions"][
            "code"
        ]
        == "NOT_FOUND"
    )
    assert (
        error_of(client, "query($p: ID!) { associations(productId: $p) { score } }", v)["extensions"]["code"]
        == "NOT_FOUND"
    )
    assert (
        data(client, "query($p: ID) { recommendations(customerId: $p) { strategy } }", v)["recommendations"][
            "strategy"
        ]
        == "POPULAR"
    )
    assert data(client, "query($p: ID!) { recommendations(basket: [$p]) { unknownProductIds } }", v)[
        "recommendations"
    ]["unknownProductIds"] == [payload]
    assert (
        error_of(client, 'query($p: ID!) { explain(from: $p, to: "P1") { found } }', v)["extensions"]["code"]
        == "NOT_FOUND"
    )
    empty = data(client, "query($p: String) { modelVersions(status: $p) { edges { cursor } } }", v)
    assert empty["modelVersions"] == {"edges": []}
    assert (
        error_of(client, "query($p: ID!) { job(id: $p) { jobId } }", v)["extensions"]["code"] == "NOT_FOUND"
    )
    # The graph is intact.
    assert data(client, "{ products { totalCount } }")["products"]["totalCount"] == 37


# ---------------------------------------------------------------- operations


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True and "5.26" in ready.json()["neo4j"]
    data(client, 'query Lookup { product(id: "P1") { productId } }')
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'affinity_api_request_seconds_count{operation="Lookup",type="query"}' in metrics.text
    assert 'affinity_api_neo4j_seconds_count{statement="products.by_ids"}' in metrics.text
    assert "affinity_api_errors_total" in metrics.text


def test_metrics_behind_a_key(seeded: object, settings: Settings) -> None:
    keyed = settings.model_copy(update={"metrics_key": SecretStr("scrape-Zr2LwV-xN4tKb7y")})
    with TestClient(create_app(keyed)) as keyed_client:
        assert keyed_client.get("/metrics").status_code == 401
        wrong = keyed_client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "AFFINITY_METRICS_KEY" in wrong.json()["error"]
        scraped = keyed_client.get("/metrics", headers={"Authorization": "Bearer scrape-Zr2LwV-xN4tKb7y"})
        assert scraped.status_code == 200 and "affinity_api_errors_total" in scraped.text


def test_metrics_closed_in_production_without_a_key() -> None:
    production = Settings(
        environment="production",
        neo4j_password="s3cret-and-long",
        api_keys_read=["q8Zr2LwV-xN4tKb7yHc3Md"],
        api_keys_admin=["A9fJ2kLm-Qw7Rt5Yu1Zx8V"],
    )
    request = Request({"type": "http", "headers": [], "method": "GET", "path": "/metrics"})
    assert "closed in production" in str(metrics_refusal(request, production))


def test_request_id_is_returned_and_kept(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        json={"query": "{ activeModel { versionId } }"},
        headers={**READ, "X-Request-ID": "abc-123-def"},
    )
    assert response.headers["x-request-id"] == "abc-123-def"
    error = error_of(client, '{ product(id: "nope") { productId } }')
    assert len(error["extensions"]["requestId"]) >= 6


def test_graphiql_only_in_development(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code != 200 or "graphiql" not in page.text.lower()  # test environment: no IDE


def test_similar_products_by_text_embeds_in_process(client: TestClient) -> None:
    # The packaged all-MiniLM-L6-v2 encoder, loaded on this first text query (the `ml` extra is installed).
    query = '{ similarProducts(text: "a lamp for my desk", first: 5) { score product { productId } } }'
    deadline = time.monotonic() + 120
    while True:  # the encoder loads in the background; meanwhile the API asks to retry
        body = gql(client, query)
        if not body.get("errors"):
            break
        assert (
            body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
            and "retry" in body["errors"][0]["message"]
        )
        assert time.monotonic() < deadline
        time.sleep(1)
    hits = body["data"]
    scores = [h["score"] for h in hits["similarProducts"]]
    assert {h["product"]["productId"] for h in hits["similarProducts"]} == {"P1", "P2", "P3", "P4", "P5"}
    assert scores == sorted(scores, reverse=True)
