"""Counts, co-occurrence and the baseline recommenders against brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from training.baselines import (
    CoOccurrence,
    Popularity,
    TextCosine,
    build_baselines,
    decayed_cooccurrence,
    trending,
    tune_half_life,
)
from training.interactions import (
    CSR,
    DAY_S,
    BasketArrays,
    cooccurrence,
    customer_cooccurrence,
    decay_weights,
    item_counts,
)
from training.snapshot import Basket
from training.split import TimeSplit, make_split
from training.synthetic import make_synthetic_snapshot

T0 = datetime(2011, 1, 1, tzinfo=UTC)


def _baskets(
    items: list[tuple[str, ...]], days: list[float], customers: list[str | None] | None = None
) -> BasketArrays:
    index = {p: i for i, p in enumerate("abcde")}
    customers = customers or [None] * len(items)
    return BasketArrays.from_baskets(
        [
            Basket(str(i), c, T0 + timedelta(days=d), b)
            for i, (b, d, c) in enumerate(zip(items, days, customers, strict=True))
        ],
        index,
    )


def _dense(m: CSR) -> np.ndarray:
    return m.dense_rows(np.arange(m.shape[0]))


def test_cooccurrence_matches_brute_force() -> None:
    snap = make_synthetic_snapshot(60, 300, seed=3)
    arrays = BasketArrays.from_baskets(snap.baskets, snap.index)
    w = np.random.default_rng(0).random(len(arrays))
    expected = np.zeros((60, 60))
    for b, basket in enumerate(snap.baskets):
        idx = [snap.index[p] for p in basket.product_ids]
        for i in idx:
            for j in idx:
                if i != j:
                    expected[i, j] += w[b]
    got = cooccurrence(arrays, w)
    assert _dense(got) == pytest.approx(expected, rel=1e-5, abs=1e-5)
    keys = got.to_coo()[0] * 60 + got.to_coo()[1]
    assert np.all(np.diff(keys) > 0), "rows must be column-sorted"


def test_item_counts_and_decay() -> None:
    arrays = _baskets([("a", "b"), ("a",), ("c", "a")], [0, 10, 20])
    assert item_counts(arrays).tolist() == [3, 1, 1, 0, 0]
    w = decay_weights(arrays.ts, (T0 + timedelta(days=20)).timestamp(), 10.0)
    assert w == pytest.approx([0.25, 0.5, 1.0])
    assert decay_weights(arrays.ts, 0.0, None) == pytest.approx([1, 1, 1])


def test_customer_cooccurrence_joins_orders_of_one_customer() -> None:
    arrays = _baskets([("a",), ("b",), ("c",)], [0, 1, 2], ["u1", "u1", None])
    matrix, diag = customer_cooccurrence(arrays)
    dense = _dense(matrix)
    assert dense[0, 1] == pytest.approx(np.log(2) ** 2) and dense[0, 2] == 0  # guest order ignored
    assert diag[0] == pytest.approx(np.log(2) ** 2)


def test_csr_top_k_per_row_and_dense_rows() -> None:
    m = CSR.from_coo(np.array([0, 0, 0, 1]), np.array([1, 2, 3, 0]), np.array([1.0, 3.0, 2.0, 5.0]), (2, 4))
    top = m.top_k_per_row(2)
    assert _dense(top).tolist() == [[0, 0, 3, 2], [5, 0, 0, 0]]
    assert m.dense_rows(np.array([1, 0])).tolist() == [[5, 0, 0, 0], [0, 1, 3, 2]]


def test_popularity_excludes_the_query() -> None:
    pop = Popularity(np.array([5.0, 4.0, 3.0, 2.0, 1.0], dtype=np.float32))
    assert pop.top_k(np.array([0, 3]), 2).tolist() == [[1, 2], [0, 1]]


def test_trending_counts_only_the_last_days() -> None:
    arrays = _baskets([("a",), ("a",), ("b",)], [0, 1, 50])
    rec = trending(arrays, (T0 + timedelta(days=51)).timestamp(), days=30)
    assert rec.counts.tolist() == [0, 1, 0, 0, 0]


def test_cooccurrence_fills_from_fallback() -> None:
    arrays = _baskets([("a", "b"), ("a", "b"), ("a", "c"), ("d",), ("d",), ("d",)], [0, 1, 2, 3, 4, 5])
    rec = CoOccurrence(cooccurrence(arrays), Popularity(item_counts(arrays)).order)
    lists = rec.top_k(np.array([0, 4]), 3)
    assert lists[0].tolist() == [1, 2, 3]  # b (2), c (1), then the most popular other: d
    assert lists[1].tolist() == [0, 3, 1]  # e has no row: popularity a(3), d(3), b(2)


def test_decay_prefers_recent_pairs() -> None:
    arrays = _baskets([("a", "b"), ("a", "b"), ("a", "c")], [0, 1, 100])
    ref = (T0 + timedelta(days=100)).timestamp()
    assert decayed_cooccurrence(arrays, ref, 7.0).top_k(np.array([0]), 1).tolist() == [[2]]
    assert decayed_cooccurrence(arrays, ref, 1e6).top_k(np.array([0]), 1).tolist() == [[1]]


def test_text_cosine_ranks_by_similarity() -> None:
    e = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, -0.1]], dtype=np.float32)
    assert TextCosine(e).top_k(np.array([0, 2]), 2).tolist() == [[1, 2], [1, 0]]


def test_half_life_is_tuned_on_validation_only() -> None:
    snap = make_synthetic_snapshot(80, 800, seed=1)
    _, last = snap.time_range()
    split = TimeSplit.ending(last, test_days=40, val_days=30)
    data = make_split(snap, split)
    best, results = tune_half_life(data.fit, data.val_queries, split.val_start.timestamp(), grid=(7.0, 60.0))
    assert best in (7.0, 60.0) and set(results) == {7.0, 60.0}
    rec = build_baselines(data.train, split.train_end.timestamp(), np.eye(80, dtype=np.float32), best)
    assert set(rec) == {"popularity", "trending", "cooccurrence", "decayed_cooccurrence", "text_cosine"}
    for r in rec.values():
        lists = r.top_k(data.test_queries.unique_q, 10)
        assert lists.shape == (len(data.test_queries.unique_q), 10)
        assert not np.any(lists == data.test_queries.unique_q[:, None])
    assert DAY_S == 86_400.0


@pytest.mark.parametrize("k", [1, 3, 7, 50])
def test_csr_top_k_per_row_equals_a_sort_by_row_value_and_column(k: int) -> None:
    rng = np.random.default_rng(k)
    rows = rng.integers(0, 40, size=2000)
    cols = rng.integers(0, 60, size=2000)
    values = rng.integers(1, 6, size=2000).astype(np.float64)  # few distinct values: many ties
    m = CSR.from_coo(rows, cols, values, (40, 60))
    top = m.top_k_per_row(k)
    r = np.repeat(np.arange(40), m.row_nnz())
    order = np.lexsort((m.indices, -m.data, r))  # by row, value descending, column
    rank = np.arange(m.nnz) - np.repeat(m.indptr[:-1], m.row_nnz())
    expected = np.sort(order[rank < k])
    assert np.array_equal(top.indices, m.indices[expected]) and np.array_equal(top.data, m.data[expected])
    assert np.array_equal(top.row_nnz(), np.minimum(m.row_nnz(), k))
