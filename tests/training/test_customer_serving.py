"""The customer model as served: the stored recommendations, the vectorised query-time scoring against
the one-candidate-at-a-time definition the API uses, and the purchase share's independence of the
reference time."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np
import pytest
import torch

from graph_schema.recommended import Reason, ServingWeights, served_score
from training.cobought import cobought_matrices
from training.customer_baselines import TifuParams
from training.customer_ranker import CustomerModelParams, fit_customer_model, rebase_customer_model
from training.customer_retrain import fit_customer_model_for_retrain
from training.customer_serving import (
    REASONS,
    BasketEvidence,
    StoredRecommendations,
    purchase_share,
    served_lists,
    stored_recommendations,
)
from training.interactions import BasketArrays
from training.synthetic import make_synthetic_snapshot

DAY = 86_400.0


def _baskets(rows: list[tuple[int, float, list[int]]], n: int) -> BasketArrays:
    sizes = [len(items) for _, _, items in rows]
    return BasketArrays(
        np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        np.array([i for _, _, its in rows for i in its], dtype=np.int64),
        np.array([t * DAY for _, t, _ in rows]),
        n,
        np.array([c for c, _, _ in rows], dtype=np.int64),
    )


def _shop(seed: int = 0) -> BasketArrays:
    rng = np.random.default_rng(seed)
    own = {c: rng.choice(30, size=3, replace=False).tolist() for c in range(20)}
    rows = [
        (c, week * 7.0 + c / 20, [*own[c][: 1 + week % 3], int(rng.integers(30))])
        for week in range(10)
        for c in range(20)
    ]
    return _baskets(rows, 30)


PARAMS = CustomerModelParams(cuts=2, horizon_days=7, steps=40, per_source=8, tifu=TifuParams(neighbours=4))


def test_stored_recommendations_are_the_models_best_with_shares_and_reasons() -> None:
    baskets = _shop()
    end = 70 * DAY
    model = fit_customer_model(baskets, 20, end, PARAMS)
    stored = stored_recommendations(model, np.arange(20), 6)
    assert stored.products.shape == (20, 6)
    expected = model.top_k(np.arange(20), 6)
    assert np.array_equal(stored.products, expected)
    assert np.all(np.diff(stored.scores, axis=1) <= 1e-7)  # ordered by the model's score
    assert np.allclose(stored.scores[:, 0], 1.0) and np.all(stored.scores[stored.products >= 0] > 0)
    bought = np.asarray(model.signals.counts.toarray()) > 0
    for c in range(20):
        for p, code in zip(stored.products[c], stored.reasons[c], strict=True):
            if p >= 0:
                assert (REASONS[code] is Reason.REPEAT) == bool(bought[c, p])


def test_purchase_share_does_not_depend_on_the_reference_time() -> None:
    baskets = _shop(1)
    a = purchase_share(baskets, 20, 70 * DAY, 30.0).toarray()
    b = purchase_share(baskets, 20, 400 * DAY, 30.0).toarray()
    assert np.allclose(a, b) and np.allclose(a.max(axis=1), 1.0)


@pytest.mark.parametrize("with_basket", [False, True])
@pytest.mark.parametrize("cobought", [False, True])
def test_served_lists_rank_by_the_served_score_of_each_candidate(with_basket: bool, cobought: bool) -> None:
    rng = np.random.default_rng(3)
    n_products, n_customers = 25, 6
    products = np.array([rng.choice(n_products, size=5, replace=False) for _ in range(n_customers)])
    products[0, 3:] = -1
    scores = np.sort(rng.random((n_customers, 5)).astype(np.float32), axis=1)[:, ::-1] / 5
    stored = StoredRecommendations(
        np.arange(n_customers), products, scores, np.zeros(products.shape, dtype=np.int8)
    )
    shop = _shop(2)
    share = purchase_share(shop, 20, 70 * DAY, 30.0)[:n_customers, :n_products].tocsr()
    # lift 0: its products are not candidates, whatever their edges
    weights = ServingWeights(
        repeat=0.3, basket=2.0, basket_repeat=0.7, cobought=0.4, confidence=1.5, lift=0.0
    )
    q = rng.integers(n_products, size=n_customers)
    lists = rng.integers(-1, n_products, size=(n_products, 4))
    item_scores = rng.random((n_products, 4)).astype(np.float32)
    orders = [(0, 0.0, rng.choice(n_products, size=4, replace=False).tolist()) for _ in range(60)]
    edges = cobought_matrices(_baskets(orders, n_products), 3) if cobought else None
    basket = BasketEvidence(q, lists, item_scores, edges) if with_basket else None
    served = served_lists(stored, share, np.arange(n_customers), weights, 5, basket=basket)
    dense_share = share.toarray()
    for c in range(n_customers):
        s = {int(p): float(v) for p, v in zip(products[c], scores[c], strict=True) if p >= 0}
        b: dict[int, float] = {}
        counts: dict[int, float] = {}
        confidence: dict[int, float] = {}
        if with_basket:
            b = {int(p): float(v) for p, v in zip(lists[q[c]], item_scores[q[c]], strict=True) if p >= 0}
        if with_basket and edges is not None:
            row = edges.count_share[q[c]]
            counts = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
            row = edges.confidence[q[c]]
            confidence = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        candidates = {*s, *np.flatnonzero(dense_share[c]).tolist(), *b, *counts} - (
            {int(q[c])} if with_basket else set()
        )

        served_scores = {
            p: served_score(
                s.get(p, 0.0),
                float(dense_share[c, p]),
                b.get(p, 0.0),
                weights,
                basket_given=with_basket,
                cobought=counts.get(p, 0.0),
                confidence=confidence.get(p, 0.0),
            )
            for p in candidates
        }
        ranked = sorted(candidates, key=lambda p: (-served_scores[p], p))[:5]
        assert served[c][: len(ranked)].tolist() == ranked


def test_rebase_keeps_the_ranker_and_moves_the_signals() -> None:
    baskets = _shop(4)
    model = fit_customer_model(baskets.window(None, 56 * DAY), 20, 56 * DAY, PARAMS)
    rebased = rebase_customer_model(model, baskets, 20, 70 * DAY)
    assert rebased.ranker is model.ranker and rebased.signals.ref_s == 70 * DAY
    assert rebased.signals.counts.sum() > model.signals.counts.sum()


@pytest.mark.parametrize("ranker", ["net", "trees"])
def test_a_refit_gives_the_same_model(ranker: str) -> None:
    # as a retrain fits it (no customer GNN, whose float sums differ in the last bits between runs)
    params = replace(PARAMS, use_gnn=False, ranker=ranker)
    baskets = _shop(5)
    torch.manual_seed(123)  # whatever state the global generator is in
    first = fit_customer_model(baskets, 20, 70 * DAY, params)
    torch.rand(10)
    second = fit_customer_model(baskets, 20, 70 * DAY, params)
    a, b = first.candidate_scores(np.arange(20)), second.candidate_scores(np.arange(20))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_a_shop_too_new_for_a_customer_model_still_retrains() -> None:
    snapshot = make_synthetic_snapshot(n_products=20, n_baskets=40, seed=1)
    day = snapshot.baskets[0].ts
    one_day = snapshot.with_baskets([dataclasses.replace(b, ts=day) for b in snapshot.baskets])
    fitted = fit_customer_model_for_retrain(one_day, None, seed=7)
    assert fitted.recommendations == 0 and "no customer model" in fitted.report["skipped"]
    assert all(len(column) == 0 for column in fitted.columns().values())
