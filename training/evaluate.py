"""The evaluation protocol of ``DESIGN.md``, vectorised.

For every test basket :math:`B` with at least two distinct products and every :math:`q \\in B`, the
recommender returns its top-K for :math:`q` (``q`` excluded) and the targets are :math:`B \\setminus \\{q\\}`.
HR@K, Recall@K and NDCG@K (:mod:`training.metrics`) are averaged over all :math:`(B, q)` pairs,
overall and separately for warm ``q`` (seen in a training basket) and cold ``q`` (never seen).

Item-to-item lists do not depend on the basket, so each distinct ``q`` is ranked once and the
``(P, K)`` hit matrix is filled by a sorted-key membership test: the key of product ``i`` in basket
``b`` is :math:`b \\cdot N + i`, and :math:`r_{pj} \\in B_p` is one ``searchsorted`` over all pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from training.aliases import IntArray
from training.interactions import BasketArrays
from training.metrics import RankingMetrics, pair_metrics
from training.recommender import Recommender

__all__ = [
    "EvalQueries",
    "EvalResult",
    "bootstrap_difference",
    "build_queries",
    "cluster_bootstrap",
    "evaluate_recommender",
    "evaluate_top_k",
    "hit_matrix",
]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class EvalQueries:
    """All :math:`(B, q)` pairs of a test period.

    Shapes: ``q``, ``basket``, ``n_targets``, ``warm``: ``(P,)``; ``keys``: sorted ``(L,)`` basket-item
    keys :math:`b \\cdot N + i`; ``unique_q``: ``(U,)`` sorted distinct queries and ``q_slot`` ``(P,)``
    the position of each pair's query in it.
    """

    q: IntArray
    basket: IntArray
    n_targets: IntArray
    warm: BoolArray
    keys: IntArray
    unique_q: IntArray
    q_slot: IntArray
    n_products: int
    n_baskets: int

    def __len__(self) -> int:
        return len(self.q)

    def subset(self, pair_mask: BoolArray) -> EvalQueries:
        """The pairs where ``pair_mask`` ``(P,)`` is true (keep whole baskets for a fair split)."""
        q = self.q[pair_mask]
        basket = self.basket[pair_mask]
        kept = np.zeros(self.n_baskets, dtype=np.bool_)
        kept[basket] = True
        keys = self.keys[kept[self.keys // self.n_products]]
        unique_q, q_slot = np.unique(q, return_inverse=True)
        return EvalQueries(
            q=q,
            basket=basket,
            n_targets=self.n_targets[pair_mask],
            warm=self.warm[pair_mask],
            keys=keys,
            unique_q=unique_q.astype(np.int64),
            q_slot=q_slot.astype(np.int64),
            n_products=self.n_products,
            n_baskets=self.n_baskets,
        )


def build_queries(test: BasketArrays, warm_products: BoolArray) -> EvalQueries:
    """Pairs from the test baskets with at least two distinct products.

    Args:
        test: the test-period baskets.
        warm_products: ``(N,)`` bool, the products seen in a training basket.
    """
    multi = test.select(test.sizes >= 2)
    basket = multi.line_basket
    q = multi.items
    n_targets = np.repeat(multi.sizes - 1, multi.sizes)
    keys = np.sort(basket * multi.n_products + q)
    unique_q, q_slot = np.unique(q, return_inverse=True)
    return EvalQueries(
        q=q,
        basket=basket,
        n_targets=n_targets,
        warm=warm_products[q],
        keys=keys,
        unique_q=unique_q.astype(np.int64),
        q_slot=q_slot.astype(np.int64),
        n_products=multi.n_products,
        n_baskets=len(multi),
    )


def hit_matrix(queries: EvalQueries, ranked: IntArray) -> BoolArray:
    """``(P, K)`` hits from ``ranked``, the ``(U, K)`` lists of ``queries.unique_q`` (``-1`` = empty)."""
    lists = ranked[queries.q_slot]  # (P, K)
    probe = queries.basket[:, None] * queries.n_products + lists
    pos = np.searchsorted(queries.keys, probe)
    pos = np.minimum(pos, len(queries.keys) - 1)
    hits: BoolArray = (queries.keys[pos] == probe) & (lists >= 0) & (lists != queries.q[:, None])
    return hits


@dataclass(frozen=True, slots=True)
class EvalResult:
    """Metrics at ``k`` overall and for warm and cold queries."""

    k: int
    overall: RankingMetrics
    warm: RankingMetrics
    cold: RankingMetrics

    def as_dict(self) -> dict[str, object]:
        return {
            "k": self.k,
            "overall": self.overall.as_dict(),
            "warm": self.warm.as_dict(),
            "cold": self.cold.as_dict(),
        }

    def get(self, subset: str, metric: str) -> float:
        """``get("warm", "ndcg")``."""
        return float(getattr(getattr(self, subset), metric))


def evaluate_top_k(queries: EvalQueries, ranked: IntArray) -> EvalResult:
    """Metrics for precomputed lists ``ranked`` of shape ``(U, K)`` aligned with ``queries.unique_q``."""
    k = ranked.shape[1]
    hits = hit_matrix(queries, ranked)
    nt = queries.n_targets
    return EvalResult(
        k=k,
        overall=RankingMetrics.from_hits(hits, nt),
        warm=RankingMetrics.from_hits(hits[queries.warm], nt[queries.warm]),
        cold=RankingMetrics.from_hits(hits[~queries.warm], nt[~queries.warm]),
    )


def evaluate_recommender(recommender: Recommender, queries: EvalQueries, k: int = 10) -> EvalResult:
    """Rank each distinct query once with ``recommender.top_k`` and score all pairs."""
    return evaluate_top_k(queries, recommender.top_k(queries.unique_q, k))


def bootstrap_difference(
    queries: EvalQueries,
    ranked_a: IntArray,
    ranked_b: IntArray,
    metric: str = "recall",
    subset: BoolArray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean difference ``a - b`` of a per-pair metric with a 95% paired bootstrap interval.

    Pairs of one basket are not independent, so whole test baskets are resampled: with per-basket
    sums :math:`S_b` of the pair differences and pair counts :math:`n_b`, each replicate draws
    baskets with replacement (multiplicities :math:`w`) and takes :math:`\\sum w_b S_b / \\sum w_b n_b`.

    Args:
        ranked_a, ranked_b: ``(U, K)`` lists of ``queries.unique_q`` for the two methods.
        metric: ``"hr"``, ``"recall"`` or ``"ndcg"``.
        subset: ``(P,)`` pairs to use (e.g. ``queries.warm``); all by default.

    Returns:
        ``(difference, low, high)``.
    """
    which = {"hr": 0, "recall": 1, "ndcg": 2}[metric]
    a = pair_metrics(hit_matrix(queries, ranked_a), queries.n_targets)[which]
    b = pair_metrics(hit_matrix(queries, ranked_b), queries.n_targets)[which]
    keep = np.ones(len(a), dtype=np.bool_) if subset is None else subset
    baskets, inverse = np.unique(queries.basket[keep], return_inverse=True)
    sums = np.bincount(inverse, weights=(a - b)[keep], minlength=len(baskets)).astype(np.float64)
    counts = np.bincount(inverse, minlength=len(baskets)).astype(np.float64)
    return cluster_bootstrap(sums, counts, n_boot, seed)


def cluster_bootstrap(
    sums: npt.NDArray[np.float64], counts: npt.NDArray[np.float64], n_boot: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """The ratio ``sum(sums) / sum(counts)`` with a 95% interval that resamples whole clusters (test
    baskets, customers): each replicate draws clusters with replacement (multiplicities :math:`w`)
    and takes :math:`\\sum w_c S_c / \\sum w_c n_c`. ``(nan, nan, nan)`` without clusters."""
    n = len(sums)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    reps = np.empty(n_boot)
    for r in range(n_boot):
        w = np.bincount(rng.integers(0, n, size=n), minlength=n)
        reps[r] = (w @ sums) / max(float(w @ counts), 1.0)
    low, high = np.percentile(reps, [2.5, 97.5])
    return float(sums.sum() / counts.sum()), float(low), float(high)
