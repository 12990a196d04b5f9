"""What a client gets from `associations` with the default arguments, over HTTP, from a model trained
and written back here: full lists (no silent truncation), calibrated scores in [0, 1] that order them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from starlette.testclient import TestClient

from affinity.settings import Settings
from service.app import create_app
from stores import versions
from tests.factories import active_edges, load_synthetic, small_train_params
from tests.service.api import data
from tests.statements import TEST_CYPHER
from training.fit import fit
from training.params import HybridConfig
from training.scoring import score_all
from training.synthetic import random_embeddings

pytestmark = pytest.mark.integration

CLEAR_DATA = TEST_CYPHER.query("clear_data")

TOP_K = 20
QUERY = """query($id: ID!) { associations(productId: $id) { product { productId } score rank } }"""
FILTERED = """query($id: ID!, $min: Float) {
  associations(productId: $id, first: 20, minScore: $min) { score } }"""


@pytest.fixture(scope="module")
def trained(neo4j_driver: neo4j.Driver, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> str:
    db = settings.neo4j_database
    with neo4j_driver.session(database=db) as session:  # CALL ... IN TRANSACTIONS: auto-commit
        session.run(CLEAR_DATA).consume()
    snapshot = load_synthetic(neo4j_driver, db, Path(tmp_path_factory.mktemp("data")), n_products=80)
    params = small_train_params(
        epochs=2,
        selection_windows=2,
        selection_days=10,
        hybrid=HybridConfig(ranker="residual", steps=20, n_candidates=30, members=1),
    )
    model = fit(snapshot, random_embeddings(len(snapshot.products), seed=1), params)
    edges = [r.as_dict() for block in score_all(model, TOP_K) for r in block]
    versions.create_candidate(neo4j_driver, db, "v-scores", {}, "test", "job-scores")
    versions.write_edges(neo4j_driver, db, "v-scores", edges, batch_size=2000, total=len(edges))
    versions.activate(neo4j_driver, db, "v-scores", force=True)
    return "v-scores"


@pytest.fixture(scope="module")
def scored_client(trained: str, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _stored(driver: neo4j.Driver, db: str) -> Counter[str]:
    """Complements stored per source product in the active version."""
    return Counter(source for source, _, kind, _ in active_edges(driver, db) if kind == "complement")


def _scores(client: TestClient, product_id: str, min_score: float | None = None) -> list[float]:
    items = data(client, FILTERED, {"id": product_id, "min": min_score})["associations"]
    return [float(i["score"]) for i in items]


def test_default_arguments_return_full_calibrated_ordered_lists(
    scored_client: TestClient, neo4j_driver: neo4j.Driver, settings: Settings, trained: str
) -> None:
    stored = _stored(neo4j_driver, settings.neo4j_database)
    assert sum(n >= 10 for n in stored.values()) >= 0.9 * len(stored)
    for product_id, n in stored.items():
        items = data(scored_client, QUERY, {"id": product_id})["associations"]
        assert len(items) == min(10, n), product_id
        scores = [float(i["score"]) for i in items]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)
        assert [i["rank"] for i in items] == list(range(1, len(items) + 1))


def test_min_score_filters_on_the_calibrated_scale(
    scored_client: TestClient, neo4j_driver: neo4j.Driver, settings: Settings, trained: str
) -> None:
    product_id = next(iter(_stored(neo4j_driver, settings.neo4j_database)))
    everything = _scores(scored_client, product_id)
    cut = everything[len(everything) // 2]
    kept = _scores(scored_client, product_id, cut)
    assert kept == [s for s in everything if s >= cut] and 0 < len(kept) <= len(everything)


COUNT = """query($id: ID!, $min: Float, $kind: AssociationKind!) {
  product(id: $id) { associationCount(kind: $kind, minScore: $min) { stored matching } } }"""


def test_association_count_says_why_a_list_is_short(
    scored_client: TestClient, neo4j_driver: neo4j.Driver, settings: Settings, trained: str
) -> None:
    stored = _stored(neo4j_driver, settings.neo4j_database)
    product_id = next(iter(stored))
    everything = _scores(scored_client, product_id)
    cut = everything[len(everything) // 2]

    def count(variables: dict[str, object]) -> dict[str, int]:
        result: dict[str, int] = data(scored_client, COUNT, variables)["product"]["associationCount"]
        return result

    assert count({"id": product_id, "kind": "COMPLEMENT"}) == {
        "stored": stored[product_id],
        "matching": stored[product_id],
    }
    filtered = count({"id": product_id, "kind": "COMPLEMENT", "min": cut})
    assert filtered == {"stored": stored[product_id], "matching": sum(s >= cut for s in everything)}
    observed = count({"id": product_id, "kind": "OBSERVED"})
    assert observed["stored"] == observed["matching"] >= 0
