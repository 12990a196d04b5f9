"""The learned customer model's signals against hand-computed values, and its fit end to end."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from training.customer_baselines import TifuParams
from training.customer_gnn import CustomerGnnParams
from training.customer_protocols import evaluate_next_basket, next_basket_queries
from training.customer_ranker import CustomerModelParams, CustomerRanker, fit_customer_model
from training.customer_signals import CUSTOMER_FEATURES, GNN_FEATURES, build_customer_signals
from training.customer_trees import TreeParams, TreeRanker
from training.interactions import BasketArrays

DAY = 86_400.0


def _baskets(rows: list[tuple[int, float, list[int]]], n: int = 6) -> BasketArrays:
    sizes = [len(items) for _, _, items in rows]
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    items = np.array([i for _, _, its in rows for i in its], dtype=np.int64)
    return BasketArrays(
        indptr,
        items,
        np.array([t * DAY for _, t, _ in rows]),
        n,
        np.array([c for c, _, _ in rows], dtype=np.int64),
    )


def test_signals_count_recency_and_the_usual_interval() -> None:
    # customer 0 buys product 1 every 7 days and product 2 once; customer 1 buys product 3
    baskets = _baskets([(0, 0.0, [1]), (0, 1.0, [2]), (0, 7.0, [1]), (0, 14.0, [1]), (1, 3.0, [3])])
    signals = build_customer_signals(baskets, 2, 20 * DAY, 30.0, 30.0, TifuParams(neighbours=1))
    assert signals.counts[0, 1] == 3 and signals.counts[0, 2] == 1
    assert signals.days_since[0, 1] == pytest.approx(20 - 14 + 1)
    assert signals.interval[0, 1] == pytest.approx(7.0) and signals.interval[0, 2] == 0
    cand = np.array([[1, 2, 4]])
    f = signals.features(np.array([0]), cand, signals.sources(np.array([0])))[0]
    col = {name: i for i, name in enumerate(CUSTOMER_FEATURES)}
    assert f[:, col["bought"]].tolist() == [1, 1, 0]
    assert f[0, col["due_ratio"]] == pytest.approx(6 / 7)  # 6 days since, every 7 days
    assert f[1, col["has_interval"]] == 0 and f[0, col["repeat_rate"]] == 1.0


@pytest.mark.parametrize("ranker", ["net", "trees"])
def test_the_fitted_model_learns_that_these_customers_reorder_their_own_products(ranker: str) -> None:
    # 30 customers, each reordering their own three products weekly, plus one random product
    rng = np.random.default_rng(0)
    n = 40
    own = {c: rng.choice(n, size=3, replace=False).tolist() for c in range(30)}
    rows = [
        (c, week * 7.0 + c / 30, [*own[c], int(rng.integers(n))]) for week in range(12) for c in range(30)
    ]
    baskets = _baskets(rows, n)
    end = 11 * 7 * DAY
    params = CustomerModelParams(
        cuts=3,
        horizon_days=7,
        steps=150,
        per_source=10,
        tifu=TifuParams(neighbours=5),
        gnn=CustomerGnnParams(dim=8, steps=30, warm_steps=10, batch=1024),
        ranker=ranker,
        trees=TreeParams(min_child_samples=5),
    )
    model = fit_customer_model(baskets.window(None, end), 30, end, params)
    assert isinstance(model.ranker, TreeRanker if ranker == "trees" else CustomerRanker)
    queries = next_basket_queries(baskets.window(None, end), baskets.window(end, None))
    learned = evaluate_next_basket(queries, model.top_k(queries.customers, 10))
    popular = np.argsort(-model.signals.popularity, kind="stable")[:10]
    baseline = evaluate_next_basket(queries, np.broadcast_to(popular, (len(queries), 10)).copy())
    # their own three products are listed (a random extra product is sometimes a repeat too)
    assert learned.repeat_recall > 0.9 and learned.recall > baseline.recall + 0.3
    early = baskets.window(None, 1.0)
    with pytest.raises(ValueError, match="no customer has an order"):
        fit_customer_model(early, 30, end, params)


def test_without_the_gnn_the_model_has_neither_its_candidates_nor_its_features() -> None:
    rng = np.random.default_rng(1)
    n = 30
    own = {c: rng.choice(n, size=3, replace=False).tolist() for c in range(20)}
    rows = [(c, week * 7.0 + c / 20, [*own[c], int(rng.integers(n))]) for week in range(8) for c in range(20)]
    baskets = _baskets(rows, n)
    end = 7 * 7 * DAY
    base = CustomerModelParams(
        cuts=2,
        horizon_days=7,
        steps=20,
        per_source=8,
        tifu=TifuParams(neighbours=3),
        gnn=CustomerGnnParams(dim=8, steps=10, warm_steps=5, batch=256),
    )
    with_gnn = fit_customer_model(baskets.window(None, end), 21, end, base)
    without = fit_customer_model(baskets.window(None, end), 21, end, replace(base, use_gnn=False))
    assert with_gnn.signals.gnn is not None and without.signals.gnn is None
    assert set(GNN_FEATURES) <= set(with_gnn.signals.feature_names)
    assert not set(GNN_FEATURES) & set(without.signals.feature_names)
    assert without.ranker.linear.in_features == len(CUSTOMER_FEATURES) - len(GNN_FEATURES)
    assert "gnn" in with_gnn.signals.sources(np.arange(3)) and "gnn" not in without.signals.sources(
        np.arange(3)
    )
    for model in (with_gnn, without):
        customers = np.array([0, 5, 19, 20])  # 20 never ordered
        top = model.top_k(customers, 5)
        assert top.shape == (4, 5) and ((top >= -1) & (top < n)).all()
        assert all(len(set(r[r >= 0])) == (r >= 0).sum() for r in top)  # no repeats in a list
        cand, scores = model.candidate_scores(customers)
        assert cand.shape == scores.shape and np.isneginf(scores[cand < 0]).all()
        assert np.isfinite(scores[cand >= 0]).all()


def test_params_round_trip_through_a_dict_and_ignore_unknown_keys() -> None:
    params = CustomerModelParams(
        seed=3,
        use_gnn=False,
        tifu=TifuParams(neighbours=5),
        gnn=CustomerGnnParams(dim=4),
        ranker="trees",
        trees=TreeParams(leaves=7),
    )
    stored = params.as_dict()
    assert stored["tifu"]["neighbours"] == 5 and stored["gnn"]["dim"] == 4 and stored["trees"]["leaves"] == 7
    assert CustomerModelParams.from_dict({**stored, "from_a_later_version": 1}) == params
    # a version stored before the trees existed was fitted with the network
    assert CustomerModelParams.from_dict({}) == CustomerModelParams()
    assert CustomerModelParams().ranker == "net"
    with pytest.raises(ValueError, match="unknown customer ranker"):
        CustomerModelParams.from_dict({"ranker": "forest"})


def test_the_trees_score_scale_stretches_the_scores_and_keeps_their_order() -> None:
    rng = np.random.default_rng(2)
    features = rng.random((40, 6, 3)).astype(np.float32)
    relevant = features[..., 0] > 0.7  # the first feature decides
    valid = np.ones((40, 6), dtype=np.bool_)
    params = TreeParams(trees=20, leaves=4, min_child_samples=5, score_scale=1.0)
    plain = TreeRanker(params, seed=1).fit(features, relevant, valid)
    scaled = TreeRanker(replace(params, score_scale=3.0), seed=1).fit(features, relevant, valid)
    a, b = plain(features), scaled(features)
    assert np.allclose(b, 3.0 * a, atol=1e-5)
    assert np.array_equal(np.argsort(-a, axis=1, kind="stable"), np.argsort(-b, axis=1, kind="stable"))
    # the fitted trees rank the relevant candidates first
    assert (a[relevant].mean() - a[~relevant].mean()) > 0
