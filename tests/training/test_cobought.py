"""The co-purchase edges as matrices against what the observe pass of ``affinity ingest`` writes."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.associations import count_pairs, edges_by_product
from training.cobought import cobought_matrices
from training.interactions import BasketArrays


def _baskets(rows: list[list[int]], n: int) -> BasketArrays:
    sizes = [len(items) for items in rows]
    return BasketArrays(
        np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        np.array([i for items in rows for i in items], dtype=np.int64),
        np.arange(len(rows), dtype=np.float64) * 86_400.0,
        n,
        np.zeros(len(rows), dtype=np.int64),
    )


def test_a_hand_computed_shop() -> None:
    # 0 and 1 share 3 baskets, 0 and 2 share 1 (below the threshold 2); N = 5 baskets with a product
    baskets = _baskets([[0, 1], [0, 1, 2], [0, 1], [3], [2]], 4)
    edges = cobought_matrices(baskets, min_support=2)
    assert edges.count_share[0].toarray().tolist() == [[0.0, 1.0, 0.0, 0.0]]
    assert edges.confidence[1, 0] == pytest.approx(3 / 3) and edges.confidence[0, 1] == pytest.approx(1.0)
    assert edges.confidence[0, 2] == 0.0  # under min_support: no edge
    assert edges.lift_share[0, 1] == pytest.approx(1.0)  # its only edge: its own largest


def test_the_matrices_hold_the_observe_pass_numbers() -> None:
    rng = np.random.default_rng(0)
    n = 15
    rows = [rng.choice(n, size=int(rng.integers(1, 6)), replace=False).tolist() for _ in range(300)]
    edges = cobought_matrices(_baskets(rows, n), min_support=4)
    counts = count_pairs(((t, [str(i) for i in items]) for t, items in enumerate(rows)), 4)
    observed = edges_by_product(counts)
    seen = 0
    for a in range(n):
        out = observed.get(str(a), [])
        largest = max((shared for _, shared, _, _ in out), default=0)
        n_a = int(counts.item_counts[counts.products.index(str(a))])
        lifts = {int(b): shared * counts.baskets / (n_a * n_b) for b, shared, _, n_b in out}
        assert edges.count_share[a].nnz == len(out)
        for b, shared, _, _ in out:
            assert edges.count_share[a, int(b)] == pytest.approx(shared / largest)
            assert edges.confidence[a, int(b)] == pytest.approx(shared / n_a)
            assert edges.lift_share[a, int(b)] == pytest.approx(lifts[int(b)] / max(lifts.values()))
            seen += 1
    assert seen > 20  # the threshold leaves edges to compare
