"""The customer GNN (LightGCN over the customer-product graph): vectors that place customers who buy
the same products together, and customers the graph never saw placed from their history alone."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from training.customer_baselines import personal_matrix
from training.customer_gnn import CustomerGnnParams, fit_customer_gnn
from training.interactions import BasketArrays

DAY = 86_400.0


def _two_groups(n_customers: int = 40, n_products: int = 30, seed: int = 0) -> BasketArrays:
    """Even customers buy from products 0..14, odd ones from 15..29: three random ones an order."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_customers):
        low = 0 if c % 2 == 0 else n_products // 2
        for order in range(4):
            items = rng.choice(np.arange(low, low + n_products // 2), size=3, replace=False)
            rows.append((c, order * 7.0 + c / n_customers, sorted(items.tolist())))
    sizes = [len(items) for _, _, items in rows]
    return BasketArrays(
        np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        np.array([i for _, _, its in rows for i in its], dtype=np.int64),
        np.array([t * DAY for _, t, _ in rows]),
        n_products,
        np.array([c for c, _, _ in rows], dtype=np.int64),
    )


def _cosine(x: np.ndarray) -> np.ndarray:
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    out: np.ndarray = unit @ unit.T
    return out


PARAMS = CustomerGnnParams(dim=16, steps=60, batch=1024)


def test_customers_who_buy_the_same_products_get_closer_vectors_than_others() -> None:
    baskets = _two_groups()
    gnn = fit_customer_gnn(baskets, 40, 30 * DAY, PARAMS, seed=3)
    sim = _cosine(gnn.customers)
    group = np.arange(40) % 2
    same = (group[:, None] == group[None, :]) & ~np.eye(40, dtype=bool)
    other = group[:, None] != group[None, :]
    assert sim[same].mean() > sim[other].mean() + 0.5
    # and a customer's own side of the catalogue scores above the other side
    scores = gnn.scores(np.arange(40))
    own = np.where(
        group[:, None] == 0,
        scores[:, :15].mean(axis=1, keepdims=True),
        scores[:, 15:].mean(axis=1, keepdims=True),
    )
    far = np.where(
        group[:, None] == 0,
        scores[:, 15:].mean(axis=1, keepdims=True),
        scores[:, :15].mean(axis=1, keepdims=True),
    )
    assert (own > far).all()


def test_fold_in_reproduces_the_graph_vectors_and_places_a_new_customer() -> None:
    baskets = _two_groups()
    gnn = fit_customer_gnn(baskets, 41, 30 * DAY, PARAMS, seed=3)
    history = personal_matrix(baskets, 41, 30 * DAY, PARAMS.half_life_days)
    folded = gnn.fold_in(history[:40])
    assert folded == pytest.approx(gnn.customers[:40], abs=1e-4)
    # customer 40 is not in the graph (no vector) until their one order is folded in
    assert not gnn.customers[40].any()
    vector = gnn.fold_in(sp.csr_matrix(([1.0, 1.0], ([0, 0], [16, 20])), shape=(1, 30)))
    sim = _cosine(np.vstack([vector, gnn.customers[:40]]))[0, 1:]
    assert sim[1::2].mean() > sim[0::2].mean() + 0.5  # among the odd customers (products 15..29)


def test_warm_start_keeps_the_product_vectors_it_starts_from() -> None:
    baskets = _two_groups()
    first = fit_customer_gnn(baskets, 40, 30 * DAY, PARAMS, seed=3)
    again = fit_customer_gnn(baskets, 40, 30 * DAY, PARAMS, seed=3, init=first, steps=0)
    assert again.base == pytest.approx(first.base)
    assert again.customers == pytest.approx(first.customers, abs=1e-5)
    assert CustomerGnnParams.from_dict({**PARAMS.as_dict(), "unknown": 1}) == PARAMS
