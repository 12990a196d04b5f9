"""Association scores with a meaning: :class:`ScoreCalibration` turns a list position into the
probability that the listed product is in the next basket that holds the source product.

The ranker's raw score orders one product's candidates but is not comparable across products or
model versions (its scale is learned, and the residual ranker's first term is relative to the
source's strongest partner). What a client can threshold is a frequency measured on baskets the
model has not seen: for the source's segment and rank :math:`r`,

.. math:: p(r, s) = P(\\text{the product at rank } r \\in B \\mid q \\in B,\\ q \\text{ in segment } s),

estimated on held-out baskets (:func:`training.selection.choose_residual_scales` scores windows after
the ones its rankers were fitted on) and made non-increasing in :math:`r` by isotonic regression, so
the calibrated scores order every list exactly as the ranker does. Segments: cold sources (no sale in
the window), and warm sources by popularity quantile within the window (a percentile, so the same
segment means the same thing for a longer or shorter history). Empty cells borrow from their
segment's neighbours through a Beta prior at the segment's mean hit rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression

from training.aliases import BoolArray, FloatArray, IntArray

F64 = npt.NDArray[np.float64]

__all__ = ["COLD_SEGMENT", "ScoreCalibration", "popularity_percentile"]

#: The segment of cold sources (no sale in the window, or a product outside the model).
COLD_SEGMENT = 0

#: Pseudo-observations of the Beta prior that pulls a sparse (segment, rank) cell to its segment mean.
PRIOR_WEIGHT = 20.0


def popularity_percentile(pop: FloatArray, seen: BoolArray) -> F64:
    """``(N,)`` each product's popularity percentile in ``[0, 1]`` among the products seen in the window
    (0 for unseen ones): scale-free, so windows of different lengths give comparable segments."""
    out = np.zeros(len(pop), dtype=np.float64)
    idx = np.flatnonzero(seen)
    if len(idx):
        order = np.argsort(pop[idx], kind="stable")
        ranks = np.empty(len(idx), dtype=np.float64)
        ranks[order] = np.arange(1, len(idx) + 1)
        out[idx] = ranks / len(idx)
    return out


@dataclass(frozen=True)
class ScoreCalibration:
    """``table[s, r - 1]``: the calibrated score at rank ``r`` of a source in segment ``s`` (0: cold;
    ``1..B``: warm, by popularity percentile above ``edges``); ``pairs[s]`` held-out pairs behind row
    ``s``; ``source`` says which baskets it was fitted on."""

    edges: tuple[float, ...]
    table: F64
    pairs: tuple[int, ...]
    source: str

    @property
    def k(self) -> int:
        return int(self.table.shape[1])

    def segments(self, percentile: F64, warm: BoolArray) -> IntArray:
        """``(Q,)`` segment of each source from its popularity percentile and whether it is warm."""
        warm_segment = 1 + np.searchsorted(np.asarray(self.edges), percentile, side="right")
        return np.where(warm, warm_segment, COLD_SEGMENT).astype(np.int64)

    def scores(self, segments: IntArray, k: int) -> FloatArray:
        """``(Q, k)`` calibrated scores by rank; ranks beyond the table keep its last value."""
        cols = np.minimum(np.arange(k), self.k - 1)
        return np.asarray(self.table[np.asarray(segments)][:, cols], dtype=np.float32)

    @classmethod
    def fit(
        cls, hits: BoolArray, percentile: F64, warm: BoolArray, source: str, n_warm_segments: int = 4
    ) -> ScoreCalibration:
        """From held-out ``(P, K)`` hits of the lists, each pair's source popularity percentile ``(P,)``
        and warm flag ``(P,)``."""
        hits = np.asarray(hits, dtype=np.float64)
        k = hits.shape[1]
        if len(hits) == 0:
            raise ValueError("no held-out pairs to calibrate the association scores on")
        inner = np.linspace(0, 1, n_warm_segments + 1)[1:-1]
        edges = tuple(float(e) for e in np.quantile(percentile[warm], inner)) if warm.any() else ()
        edges = tuple(sorted(set(edges)))
        shell = cls(edges, np.zeros((len(edges) + 2, k)), (), source)
        segment = shell.segments(percentile, warm)
        overall = float(hits.mean())
        rows, counts = [], []
        for s in range(len(edges) + 2):
            cell = hits[segment == s]
            counts.append(len(cell))
            mean = float(cell.mean()) if len(cell) else overall
            rate = (cell.sum(axis=0) + PRIOR_WEIGHT * mean) / (len(cell) + PRIOR_WEIGHT)
            iso = IsotonicRegression(increasing=False, y_min=0.0, y_max=1.0)
            rows.append(iso.fit_transform(np.arange(k), rate, sample_weight=np.full(k, len(cell) + 1.0)))
        return cls(edges, np.asarray(rows, dtype=np.float64), tuple(counts), source)

    def as_dict(self) -> dict[str, Any]:
        return {
            "edges": list(self.edges),
            "table": np.round(self.table, 6).tolist(),
            "pairs": list(self.pairs),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreCalibration:
        return cls(
            tuple(float(e) for e in data["edges"]),
            np.asarray(data["table"], dtype=np.float64),
            tuple(int(n) for n in data["pairs"]),
            str(data["source"]),
        )
