"""Pair counting for BOUGHT_WITH, checked against counts done by hand."""

from __future__ import annotations

from ingest.associations import count_pairs, edges_by_product

# Four baskets (epoch seconds, products):
#   t=10 {A, B, C}   t=20 {A, B}   t=30 {B, C}   t=40 {D}
BASKETS = [(20, ["B", "A"]), (10, ["A", "B", "C", "A"]), (40, ["D"]), (30, ["C", "B"]), (50, [])]


def test_counts_by_hand() -> None:
    counts = count_pairs(BASKETS, min_support=1)
    assert counts.baskets == 4  # the empty basket does not count
    assert counts.products == ["A", "B", "C", "D"]
    assert counts.item_counts.tolist() == [2, 3, 2, 1]
    pairs = {
        (counts.products[a], counts.products[b]): (shared, last)
        for a, b, shared, last in zip(
            counts.first.tolist(),
            counts.second.tolist(),
            counts.shared.tolist(),
            counts.last_seen.tolist(),
            strict=True,
        )
    }
    assert pairs == {("A", "B"): (2, 20), ("A", "C"): (1, 10), ("B", "C"): (2, 30)}
    assert counts.pairs_seen == 3


def test_threshold_and_both_directions() -> None:
    counts = count_pairs(BASKETS, min_support=2)
    edges = edges_by_product(counts)
    # (other, shared baskets, last seen, baskets of the other)
    assert edges == {
        "A": [("B", 2, 20, 3)],
        "B": [("A", 2, 20, 2), ("C", 2, 30, 2)],
        "C": [("B", 2, 30, 3)],
    }
    assert counts.pairs_seen == 3 and len(counts.shared) == 2


def test_no_pairs() -> None:
    counts = count_pairs([(1, ["A"]), (2, ["B"])], min_support=1)
    assert counts.baskets == 2 and len(counts.shared) == 0 and edges_by_product(counts) == {}
