"""Top-K ranking metrics of the item-to-item basket-completion protocol (``DESIGN.md``).

For one query pair :math:`(B, q)` with targets :math:`T = B \\setminus \\{q\\}` and a ranked list
:math:`r_1, \\dots, r_K` (``q`` excluded), let :math:`h_j = [r_j \\in T]`:

.. math::

    \\mathrm{HR@K} = [\\textstyle\\sum_j h_j > 0], \\qquad
    \\mathrm{Recall@K} = \\frac{\\sum_j h_j}{\\min(K, |T|)}, \\qquad
    \\mathrm{NDCG@K} = \\frac{\\sum_{j=1}^{K} h_j / \\log_2(j + 1)}
                            {\\sum_{j=1}^{\\min(K, |T|)} 1 / \\log_2(j + 1)}.

Everything is vectorised over pairs: ``hits`` is a ``(P, K)`` boolean matrix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["RankingMetrics", "discounts", "ideal_dcg", "pair_metrics"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def discounts(k: int) -> FloatArray:
    """:math:`1 / \\log_2(j + 1)` for ranks :math:`j = 1..K`, shape ``(K,)``."""
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


def ideal_dcg(n_targets: IntArray, k: int) -> FloatArray:
    """DCG of a perfect list: the sum of the first :math:`\\min(K, |T|)` discounts, shape ``(P,)``."""
    cumulative = np.concatenate([[0.0], np.cumsum(discounts(k))])
    return cumulative[np.minimum(n_targets, k)]


def pair_metrics(hits: BoolArray, n_targets: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-pair HR, Recall and NDCG at ``K = hits.shape[1]``.

    Args:
        hits: ``(P, K)`` bool, ``hits[p, j]`` is true when the item at rank ``j + 1`` is a target.
        n_targets: ``(P,)`` int, :math:`|T| \\ge 1` for each pair.

    Returns:
        Three ``(P,)`` float64 arrays: HR, Recall, NDCG.
    """
    if hits.ndim != 2 or hits.shape[0] != n_targets.shape[0]:
        raise ValueError(f"hits {hits.shape} and n_targets {n_targets.shape} do not match")
    if np.any(n_targets < 1):
        raise ValueError("every pair needs at least one target")
    k = hits.shape[1]
    n_hits = hits.sum(axis=1).astype(np.float64)
    hr = (n_hits > 0).astype(np.float64)
    recall = n_hits / np.minimum(n_targets, k)
    ndcg = (hits.astype(np.float64) @ discounts(k)) / ideal_dcg(n_targets, k)
    return hr, recall, ndcg


@dataclass(frozen=True, slots=True)
class RankingMetrics:
    """Means of the per-pair metrics over ``n`` pairs (``nan`` when ``n == 0``)."""

    hr: float
    recall: float
    ndcg: float
    n: int

    @classmethod
    def from_hits(cls, hits: BoolArray, n_targets: IntArray) -> RankingMetrics:
        if len(n_targets) == 0:
            return cls(float("nan"), float("nan"), float("nan"), 0)
        hr, recall, ndcg = pair_metrics(hits, n_targets)
        return cls(float(hr.mean()), float(recall.mean()), float(ndcg.mean()), len(n_targets))

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)
