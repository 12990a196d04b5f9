"""The customer protocols and baselines on hand-built baskets, against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from training.customer_baselines import (
    BuyAgain,
    GlobalRanking,
    HistoryAssociations,
    HistoryCooccurrence,
    TifuKnn,
    TifuParams,
    personal_matrix,
    tifu_vectors,
)
from training.customer_protocols import completion_queries, evaluate_next_basket, next_basket_queries
from training.interactions import BasketArrays

N = 8


def baskets(rows: list[tuple[int, float, list[int]]]) -> BasketArrays:
    """``(customer, ts, items)`` rows -> arrays (customer -1: a guest)."""
    sizes = [len(items) for _, _, items in rows]
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    items = np.array([i for _, _, its in rows for i in its], dtype=np.int64)
    ts = np.array([t for _, t, _ in rows], dtype=np.float64)
    customers = np.array([c for c, _, _ in rows], dtype=np.int64)
    return BasketArrays(indptr, items, ts, N, customers)


TRAIN = baskets([(0, 1.0, [0, 1]), (0, 2.0, [1, 2]), (1, 3.0, [3]), (-1, 4.0, [0, 5])])
TEST = baskets([(0, 20.0, [5]), (0, 10.0, [1, 4]), (2, 11.0, [0, 6]), (-1, 12.0, [1, 2]), (1, 15.0, [3, 7])])


def test_next_basket_targets_the_first_test_order_of_known_customers() -> None:
    q = next_basket_queries(TRAIN, TEST)
    # customer 2 has no train order, the guest is nobody; customer 0's first test order is at t=10
    assert q.customers.tolist() == [0, 1]
    assert [sorted(q.items[q.indptr[u] : q.indptr[u + 1]].tolist()) for u in range(2)] == [[1, 4], [3, 7]]
    repeat = {
        (int(c), int(i)): bool(r)
        for c, i, r in zip(np.repeat(q.customers, q.sizes), q.items, q.repeat, strict=True)
    }
    assert repeat == {(0, 1): True, (0, 4): False, (1, 3): True, (1, 7): False}


def test_next_basket_metrics_with_the_repeat_explore_split() -> None:
    q = next_basket_queries(TRAIN, TEST)
    ranked = np.array([[4, 0, 1], [6, 5, 2]])  # customer 0: both targets; customer 1: none
    r = evaluate_next_basket(q, ranked)
    assert r.n == 2 and r.hr == pytest.approx(0.5) and r.recall == pytest.approx(0.5)
    ideal = 1 + 1 / np.log2(3)
    assert r.ndcg == pytest.approx(0.5 * (1 + 1 / np.log2(4)) / ideal)
    assert r.repeat_recall == pytest.approx(0.5) and r.explore_recall == pytest.approx(0.5)
    # listed products the customer bought before: customer 0 lists 0 and 1, customer 1 none
    assert r.repeat_share == pytest.approx((2 / 3 + 0) / 2)


def test_completion_pairs_keep_only_baskets_of_customers_with_history() -> None:
    warm = TRAIN.seen()
    c = completion_queries(TRAIN, TEST, warm)
    # test baskets of two products or more: customer 0 {1,4}, customer 2 {0,6} (no history),
    # a guest {1,2}, customer 1 {3,7}
    assert sorted(c.customer.tolist()) == [0, 0, 1, 1]
    assert sorted(c.pairs.q.tolist()) == [1, 3, 4, 7]


def test_buy_again_lists_own_products_by_count_then_popularity() -> None:
    personal = personal_matrix(TRAIN, 3)
    pop = np.array([5, 1, 2, 0, 0, 4, 0, 0], dtype=np.float32)
    rec = BuyAgain(personal, pop, "buy_again")
    lists = rec.top_k(np.array([0, 2]), 4)
    assert lists[0].tolist() == [1, 0, 2, 5]  # 1 twice; 0 and 2 once (0 more popular); then popularity
    assert lists[1].tolist() == [0, 5, 2, 1]  # no history: popularity
    decayed = personal_matrix(TRAIN, 3, ref_s=2.0, half_life_days=1e-5)  # the newest order weighs most
    assert BuyAgain(decayed, pop, "decayed").top_k(np.array([0]), 2)[0].tolist() == [1, 2]
    assert GlobalRanking(pop, "popularity").top_k(np.array([0]), 3, query=np.array([0]))[0].tolist() == [
        5,
        2,
        1,
    ]


def test_tifu_vectors_decay_inside_and_across_groups() -> None:
    three = baskets([(0, 1.0, [0]), (0, 2.0, [1]), (0, 3.0, [2])])
    v = tifu_vectors(three, 1, TifuParams(group_size=2, r_b=0.5, r_g=0.25)).toarray()[0]
    # newest group {t3, t2}: 1/2 and 0.5/2, times 1/2 groups; oldest group {t1}: 1/1 * 0.25 / 2
    assert v[:3].tolist() == pytest.approx([0.125, 0.125, 0.25])


def test_tifu_knn_blends_the_nearest_customers() -> None:
    data = baskets([(0, 1.0, [0, 1]), (1, 1.0, [0, 1, 2]), (2, 1.0, [5, 6]), (3, 1.0, [5, 6, 7])])
    pop = np.zeros(N, dtype=np.float32)
    alone = TifuKnn(tifu_vectors(data, 4, TifuParams()), pop, TifuParams(neighbours=1, alpha=1.0))
    assert set(alone.top_k(np.array([0]), 2)[0].tolist()) == {0, 1}
    blended = TifuKnn(tifu_vectors(data, 4, TifuParams()), pop, TifuParams(neighbours=1, alpha=0.5))
    # customer 0's nearest customer is 1: product 2 comes from the neighbour, never 7
    assert blended.top_k(np.array([0]), 3)[0].tolist()[2] == 2
    assert blended.top_k(np.array([2]), 3)[0].tolist()[2] == 7


def test_history_blends_and_traversal() -> None:
    personal = personal_matrix(TRAIN, 3)
    pop = np.ones(N, dtype=np.float32)

    cooc = sp.csr_matrix((np.array([3.0, 1.0]), (np.array([4, 4]), np.array([6, 7]))), shape=(N, N))
    only_cooc = HistoryCooccurrence(personal, cooc, pop, beta=0.0)
    assert only_cooc.top_k(np.array([0]), 2, query=np.array([4]))[0].tolist() == [6, 7]
    only_history = HistoryCooccurrence(personal, cooc, pop, beta=1.0)
    assert only_history.top_k(np.array([0]), 1, query=np.array([1]))[0].tolist() == [0]  # q=1 left out
    lists = np.full((N, 2), -1, dtype=np.int64)
    scores = np.zeros((N, 2), dtype=np.float32)
    lists[1], scores[1] = [2, 6], [0.9, 0.5]
    lists[0], scores[0] = [7, 1], [0.3, 0.8]
    traversal = HistoryAssociations(personal, lists, scores, pop)
    # customer 0 bought 0 once and 1 twice: 6 scores 2*0.5, 7 scores 0.3; 1 and 2 were bought
    assert traversal.top_k(np.array([0]), 2)[0].tolist() == [6, 7]
