"""Ranking metrics and the evaluation protocol against hand-computed cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from training.evaluate import build_queries, evaluate_top_k, hit_matrix
from training.interactions import BasketArrays
from training.metrics import RankingMetrics, discounts, ideal_dcg, pair_metrics
from training.snapshot import Basket


def test_discounts_are_one_over_log2_rank_plus_one() -> None:
    assert discounts(3) == pytest.approx([1.0, 1 / math.log2(3), 0.5])


def test_pair_metrics_hand_computed() -> None:
    # K = 3. Pair 0: hits at ranks 1 and 3, 4 targets. Pair 1: no hit, 1 target.
    # Pair 2: hit at rank 2, 1 target.
    hits = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=bool)
    n_targets = np.array([4, 1, 1])
    hr, recall, ndcg = pair_metrics(hits, n_targets)
    assert hr.tolist() == [1.0, 0.0, 1.0]
    assert recall == pytest.approx([2 / 3, 0.0, 1.0])  # hits / min(K, |T|)
    d = [1.0, 1 / math.log2(3), 0.5]
    assert ndcg == pytest.approx([(d[0] + d[2]) / sum(d), 0.0, d[1] / d[0]])


def test_ideal_dcg_caps_at_k() -> None:
    assert ideal_dcg(np.array([1, 2, 10]), 2) == pytest.approx(
        [1.0, 1 + 1 / math.log2(3), 1 + 1 / math.log2(3)]
    )


def test_perfect_list_scores_one() -> None:
    hits = np.array([[1, 1, 0]], dtype=bool)
    hr, recall, ndcg = pair_metrics(hits, np.array([2]))
    assert (hr[0], recall[0], ndcg[0]) == pytest.approx((1.0, 1.0, 1.0))


def test_metrics_reject_pairs_without_targets() -> None:
    with pytest.raises(ValueError):
        pair_metrics(np.zeros((1, 2), dtype=bool), np.array([0]))


def test_empty_subset_is_nan() -> None:
    m = RankingMetrics.from_hits(np.zeros((0, 10), dtype=bool), np.zeros(0, dtype=np.int64))
    assert m.n == 0 and math.isnan(m.recall)


def _arrays(baskets: list[list[str]], index: dict[str, int]) -> BasketArrays:
    t0 = datetime(2011, 1, 1, tzinfo=UTC)
    return BasketArrays.from_baskets(
        [Basket(f"o{i}", None, t0 + timedelta(hours=i), tuple(b)) for i, b in enumerate(baskets)], index
    )


def test_protocol_pairs_targets_and_warm_cold() -> None:
    index = {p: i for i, p in enumerate("abcde")}
    # a one-product basket is not a query; "e" was never seen in training (cold)
    test = _arrays([["a", "b", "c"], ["d"], ["a", "e"]], index)
    warm = np.array([True, True, True, True, False])
    queries = build_queries(test, warm)
    assert len(queries) == 5  # 3 from the first basket, 2 from the last
    assert sorted(queries.n_targets.tolist()) == [1, 1, 2, 2, 2]
    assert int((~queries.warm).sum()) == 1
    assert queries.unique_q.tolist() == [0, 1, 2, 4]


def test_evaluate_top_k_by_hand() -> None:
    index = {p: i for i, p in enumerate("abcde")}
    test = _arrays([["a", "b", "c"], ["a", "e"]], index)
    warm = np.array([True, True, True, True, False])
    q = build_queries(test, warm)
    # lists for unique queries a, b, c, e (K = 2)
    ranked = np.array(
        [
            [1, 3],  # a -> b (hit in basket 0), d
            [3, 2],  # b -> d, c (hit)
            [4, 3],  # c -> e, d: no hit
            [0, 1],  # e -> a (hit in basket 1), b
        ]
    )
    hits = hit_matrix(q, ranked)
    # pairs: (B0,a): targets {b,c}: hit rank 1; (B0,b): {a,c}: hit rank 2; (B0,c): {a,b}: none;
    # (B1,a): {e}: list b,d: none; (B1,e): {a}: hit rank 1
    result = evaluate_top_k(q, ranked)
    assert int(hits.sum()) == 3
    d2 = 1 / math.log2(3)
    assert result.overall.hr == pytest.approx(3 / 5)
    assert result.overall.recall == pytest.approx((1 / 2 + 1 / 2 + 0 + 0 + 1) / 5)
    ndcg = [1 / (1 + d2), d2 / (1 + d2), 0.0, 0.0, 1.0]
    assert result.overall.ndcg == pytest.approx(sum(ndcg) / 5)
    assert result.cold.n == 1 and result.cold.recall == pytest.approx(1.0)
    assert result.warm.n == 4


def test_padding_and_the_query_itself_never_hit() -> None:
    index = {p: i for i, p in enumerate("ab")}
    q = build_queries(_arrays([["a", "b"]], index), np.array([True, True]))
    ranked = np.array([[0, -1], [1, -1]])  # each lists itself, then padding
    assert not hit_matrix(q, ranked).any()
