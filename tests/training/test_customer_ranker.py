"""The learned customer model's signals against hand-computed values, and its fit end to end."""

from __future__ import annotations

import numpy as np
import pytest

from training.customer_baselines import TifuParams
from training.customer_protocols import evaluate_next_basket, next_basket_queries
from training.customer_ranker import CustomerModelParams, fit_customer_model
from training.customer_signals import CUSTOMER_FEATURES, build_customer_signals
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


def test_the_fitted_model_learns_that_these_customers_reorder_their_own_products() -> None:
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
        cuts=3, horizon_days=7, steps=150, per_source=10, tifu=TifuParams(neighbours=5)
    )
    model = fit_customer_model(baskets.window(None, end), 30, end, params)
    queries = next_basket_queries(baskets.window(None, end), baskets.window(end, None))
    learned = evaluate_next_basket(queries, model.top_k(queries.customers, 10))
    popular = np.argsort(-model.signals.popularity, kind="stable")[:10]
    baseline = evaluate_next_basket(queries, np.broadcast_to(popular, (len(queries), 10)).copy())
    # their own three products are listed (a random extra product is sometimes a repeat too)
    assert learned.repeat_recall > 0.9 and learned.recall > baseline.recall + 0.3
    early = baskets.window(None, 1.0)
    with pytest.raises(ValueError, match="no customer has an order"):
        fit_customer_model(early, 30, end, params)
