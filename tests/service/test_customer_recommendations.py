"""The customer model through the API, over HTTP: on a small time split, `recommendations(customerId)`
and `recommendations(customerId, basket)` answer exactly the lists the offline evaluation scores for
the same version (so the same Recall@10); a new order changes the customer's repeat candidates at
once; an unknown customer still gets an answer that says which strategy gave it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pytest
from starlette.testclient import TestClient

from affinity.settings import Settings
from graph_schema.recommended import ServingWeights
from ingest.associations import observe
from ingest.pipeline import ingest_paths
from service.app import create_app
from stores import versions
from tests.factories import small_train_params, write_snapshot_input_files
from tests.service.api import ADMIN, data, gql, neo4j_calls
from tests.statements import TEST_CYPHER
from training.cobought import cobought_matrices
from training.customer_baselines import TifuParams
from training.customer_protocols import (
    completion_queries,
    evaluate_next_basket,
    next_basket_queries,
)
from training.customer_ranker import CustomerModelParams, fit_customer_model
from training.customer_serving import (
    REASONS,
    BasketEvidence,
    purchase_share,
    served_lists,
    stored_recommendations,
)
from training.fit import fit
from training.interactions import BasketArrays
from training.params import HybridConfig
from training.scoring import score_all
from training.split import TimeSplit, make_split
from training.synthetic import make_synthetic_snapshot, random_embeddings

pytestmark = pytest.mark.integration

CLEAR_DATA = TEST_CYPHER.query("clear_data")
VERSION = "v-customers"
TOP_K = 20
# every term of graph_schema/recommended.py in play, the basket-mode repeat weight apart from the other
WEIGHTS = ServingWeights(
    repeat=0.2, basket=1.0, basket_repeat=0.5, cobought=0.25, confidence=0.5, lift=0.5, top_n=15
)
#: the observe pass's threshold in this graph (settings.min_support_baskets on a small shop)
MIN_SUPPORT = 3
RECOMMEND = """query($c: ID, $b: [ID!], $first: Int) {
  recommendations(customerId: $c, basket: $b, first: $first) {
    strategy modelVersion fallbackReason
    items { product { productId } score reason explanation because } } }"""


class Offline:
    """The version as the offline evaluation sees it."""

    def __init__(self, tmp: Path, driver: neo4j.Driver, db: str) -> None:
        snapshot = make_synthetic_snapshot(n_products=60, n_baskets=1400, seed=5)
        end = snapshot.time_range()[1] - timedelta(days=20)
        split = TimeSplit(
            val_start=end - timedelta(days=20), train_end=end, test_end=snapshot.time_range()[1]
        )
        data_split = make_split(snapshot, split)
        train = snapshot.with_baskets([b for b in snapshot.baskets if b.ts < end])
        write_snapshot_input_files(train, tmp)
        ingest_paths(driver, db, [tmp], batch_size=2000)
        observe(driver, db, min_support=MIN_SUPPORT, batch_size=5000)

        # customers are indexed in order of first appearance, as the retrain's `customers` step does
        everything = BasketArrays.from_baskets(snapshot.baskets, snapshot.index)
        self.customer_ids = list(dict.fromkeys(b.customer_id for b in snapshot.baskets if b.customer_id))
        self.product_ids = snapshot.product_ids
        n_cust, end_s = len(self.customer_ids), end.timestamp()
        self.train = everything.window(None, end_s)
        params = CustomerModelParams(
            cuts=2, horizon_days=14, steps=60, per_source=10, tifu=TifuParams(neighbours=20)
        )
        model = fit_customer_model(self.train, n_cust, end_s, params)
        self.stored = stored_recommendations(model, np.arange(n_cust), WEIGHTS.top_n)
        self.share = purchase_share(self.train, n_cust, end_s, WEIGHTS.half_life_days)
        self.next_basket = next_basket_queries(self.train, everything.window(end_s, None))
        self.completion = completion_queries(
            self.train, everything.window(end_s, None), data_split.warm_train
        )

        item_model = fit(
            snapshot,
            random_embeddings(len(snapshot.products), seed=2),
            small_train_params(
                epochs=2, selection_windows=0, hybrid=HybridConfig(steps=20, n_candidates=20, members=1)
            ),
            split,
        )
        edges: list[dict[str, Any]] = [r.as_dict() for block in score_all(item_model, TOP_K) for r in block]
        idx = np.full((len(self.product_ids), TOP_K), -1, dtype=np.int64)
        scores = np.zeros((len(self.product_ids), TOP_K), dtype=np.float32)
        for e in edges:
            if e["kind"] == "complement":
                idx[snapshot.index[e["source"]], e["rank"] - 1] = snapshot.index[e["target"]]
                scores[snapshot.index[e["source"]], e["rank"] - 1] = e["score"]
        self.item_lists = (idx, scores)
        self.cobought = cobought_matrices(self.train, MIN_SUPPORT)

        rows, cols = np.nonzero(self.stored.products >= 0)
        recommended = [
            {
                "customer": self.customer_ids[self.stored.customers[r]],
                "product": self.product_ids[self.stored.products[r, c]],
                "score": float(self.stored.scores[r, c]),
                "rank": int(c) + 1,
                "reason": REASONS[self.stored.reasons[r, c]].value,
            }
            for r, c in zip(rows, cols, strict=True)
        ]
        versions.create_candidate(driver, db, VERSION, {}, "test", "job-customers")
        versions.write_edges(driver, db, VERSION, edges, 2000, len(edges), recommended=recommended)
        versions.set_metrics(
            driver, db, VERSION, {"overall": {"ndcg@10": 0.1}, "customers": {"weights": WEIGHTS.as_dict()}}
        )
        versions.activate(driver, db, VERSION, force=True)

    def ids(self, lists: np.ndarray) -> list[list[str]]:
        return [[self.product_ids[p] for p in row if p >= 0] for row in lists]

    def indices(self, answers: list[list[str]], k: int) -> np.ndarray:
        index = {pid: i for i, pid in enumerate(self.product_ids)}
        out = np.full((len(answers), k), -1, dtype=np.int64)
        for row, answer in enumerate(answers):
            out[row, : len(answer)] = [index[p] for p in answer]
        return out


@pytest.fixture(scope="module")
def offline(
    neo4j_driver: neo4j.Driver, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Offline:
    with neo4j_driver.session(database=settings.neo4j_database) as session:  # auto-commit for IN TRANSACTIONS
        session.run(CLEAR_DATA).consume()
    return Offline(tmp_path_factory.mktemp("customers"), neo4j_driver, settings.neo4j_database)


@pytest.fixture(scope="module")
def client(offline: Offline, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _ask(
    client: TestClient, customer: str, basket: list[str] | None = None, first: int = 10
) -> dict[str, Any]:
    answer: dict[str, Any] = data(client, RECOMMEND, {"c": customer, "b": basket, "first": first})[
        "recommendations"
    ]
    return answer


def test_next_basket_over_http_scores_what_the_offline_evaluation_scores(
    client: TestClient, offline: Offline
) -> None:
    queries = offline.next_basket
    assert len(queries) >= 20
    expected = served_lists(offline.stored, offline.share, queries.customers, WEIGHTS, 10)
    answers = []
    for customer in queries.customers:
        answer = _ask(client, offline.customer_ids[customer])
        assert answer["strategy"] == "CUSTOMER_MODEL" and answer["modelVersion"] == VERSION
        assert answer["fallbackReason"] is None
        scores = [i["score"] for i in answer["items"]]
        assert scores == sorted(scores, reverse=True)
        answers.append([i["product"]["productId"] for i in answer["items"]])
    assert answers == offline.ids(expected)
    api = evaluate_next_basket(queries, offline.indices(answers, 10))
    assert api.recall == evaluate_next_basket(queries, expected).recall and api.n == len(queries)


def test_basket_completion_with_the_customer_over_http(client: TestClient, offline: Offline) -> None:
    pairs = offline.completion
    sample = np.random.default_rng(0).choice(
        len(pairs.customer), size=min(40, len(pairs.customer)), replace=False
    )
    q, customers = pairs.pairs.q[sample], pairs.customer[sample]
    evidence = BasketEvidence(q, *offline.item_lists, offline.cobought)
    expected = served_lists(offline.stored, offline.share, customers, WEIGHTS, 10, basket=evidence)
    without = replace(WEIGHTS, cobought=0.0, confidence=0.0, lift=0.0)
    plain = served_lists(offline.stored, offline.share, customers, without, 10, basket=evidence)
    assert (plain != expected).any()  # the co-purchase terms change what is answered: they are tested
    answers = []
    for customer, product in zip(customers, q, strict=True):
        basket = [offline.product_ids[product]]
        answer = _ask(client, offline.customer_ids[customer], basket)
        ids = [i["product"]["productId"] for i in answer["items"]]
        assert basket[0] not in ids
        for item in answer["items"]:
            if item["because"] == basket:  # chosen for the basket: says so in the shopper's words
                assert item["reason"] == "COMPLEMENTS" and item["explanation"].startswith("goes with ")
        answers.append(ids)
    assert answers == offline.ids(expected)


def test_a_new_order_changes_the_repeat_candidates_at_once(client: TestClient, offline: Offline) -> None:
    customer = offline.customer_ids[int(offline.next_basket.customers[0])]
    before = _ask(client, customer, first=60)
    bought = {i["product"]["productId"] for i in before["items"] if i["reason"] == "REPEAT"}
    fresh = next(p for p in offline.product_ids if p not in bought)
    lines = [
        {"orderId": "NEW-1", "customerId": customer, "ts": "2031-01-01T10:00:00", "productId": fresh,
         "quantity": 1, "unitPrice": 2.0},
    ]  # fmt: skip
    mutation = """mutation($l: [OrderLineInput!]!) { recordOrders(lines: $l) { __typename } }"""
    assert data(client, mutation, {"l": lines}, ADMIN)["recordOrders"]["__typename"] == "IngestSucceeded"
    after = _ask(client, customer, first=60)
    item = next(i for i in after["items"] if i["product"]["productId"] == fresh)
    assert item["reason"] == "REPEAT" and item["explanation"] == "you ordered this today"
    assert [i["product"]["productId"] for i in after["items"]] != [
        i["product"]["productId"] for i in before["items"]
    ]


def test_unknown_customers_get_the_basket_then_popular(client: TestClient, offline: Offline) -> None:
    basket = [offline.product_ids[int(np.flatnonzero(offline.item_lists[0][:, 0] >= 0)[0])]]
    with_basket = _ask(client, "nobody", basket)
    assert with_basket["strategy"] == "BASKET" and with_basket["items"]
    alone = _ask(client, "nobody")
    assert alone["strategy"] == "POPULAR" and "unknown customer" in alone["fallbackReason"]


BATCH = """query($ids: [ID!]!, $first: Int) { recommendationsFor(customerIds: $ids, first: $first) {
  customerId recommendations { strategy modelVersion items { product { productId } reason } } } }"""


def test_recommendations_for_many_customers_in_a_constant_number_of_round_trips(
    client: TestClient, offline: Offline
) -> None:
    customers = [offline.customer_ids[int(c)] for c in offline.next_basket.customers]
    asked = [*customers, "nobody"]
    data(client, BATCH, {"ids": ["nobody"]})  # the popular ranking is cached from here on
    calls = neo4j_calls(client)
    batch = data(client, BATCH, {"ids": asked, "first": 10})["recommendationsFor"]
    many = neo4j_calls(client) - calls
    calls = neo4j_calls(client)
    data(client, BATCH, {"ids": [customers[0], "nobody"], "first": 10})
    few = neo4j_calls(client) - calls
    # the customers' candidates, their products through the filter, the popular products through it
    assert many == few == 3
    assert [b["customerId"] for b in batch] == asked
    for customer, answer in zip(customers, batch, strict=False):
        single = _ask(client, customer)
        assert answer["recommendations"]["strategy"] == "CUSTOMER_MODEL"
        assert [i["product"]["productId"] for i in answer["recommendations"]["items"]] == [
            i["product"]["productId"] for i in single["items"]
        ]
    assert batch[-1]["recommendations"]["strategy"] == "POPULAR"
    campaign = data(client, BATCH, {"ids": [f"c{i}" for i in range(100)], "first": 10})  # inside the cost
    assert len(campaign["recommendationsFor"]) == 100
    too_many = gql(client, BATCH, {"ids": [f"c{i}" for i in range(101)], "first": 10})["errors"][0]
    assert too_many["extensions"]["code"] == "LIMIT_EXCEEDED" and "max_page_size" in too_many["message"]


def test_the_customer_model_counts_first_after_the_filter(client: TestClient, offline: Offline) -> None:
    customer = offline.customer_ids[int(offline.next_basket.customers[1])]
    plain = [i["product"]["productId"] for i in _ask(client, customer, first=6)["items"]]
    query = """query($c: ID!, $x: [ID!]!) {
      recommendations(customerId: $c, first: 5, filter: {excludeIds: $x}) {
        strategy items { product { productId } } } }"""
    answer = data(client, query, {"c": customer, "x": plain[:1]})["recommendations"]
    assert answer["strategy"] == "CUSTOMER_MODEL"
    assert [i["product"]["productId"] for i in answer["items"]] == plain[1:6]
