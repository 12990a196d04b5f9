"""The recommender interface shared by baselines, the GNN and the hybrid, and blocked top-K.

A recommender answers ``top_k(query_idx, k)``: for each query product (an index into the snapshot's
product list) the ``k`` best other products, best first, ``-1`` where it has fewer than ``k``.
Most recommenders are a score row per query, :math:`s_q \\in \\mathbb{R}^N`; :class:`ScoreRecommender`
turns rows into top-K in blocks of queries so memory stays :math:`O(\\text{block} \\times N)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import torch

__all__ = ["Recommender", "ScoreRecommender", "fill_from_fallback", "top_k_rows"]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@runtime_checkable
class Recommender(Protocol):
    """Anything that ranks products for a query product."""

    name: str

    def top_k(self, query_idx: IntArray, k: int) -> IntArray:
        """``(Q,)`` query indices -> ``(Q, k)`` product indices, best first, the query excluded."""
        ...


def top_k_rows(scores: FloatArray, query_idx: IntArray, k: int) -> tuple[IntArray, FloatArray]:
    """Top-``k`` of each score row with the query itself excluded.

    Args:
        scores: ``(Q, N)`` scores, higher is better (``-inf`` marks a non-candidate).
        query_idx: ``(Q,)`` the column to exclude in each row.
        k: list length; clipped to ``N - 1``.

    Returns:
        ``(Q, k)`` indices and ``(Q, k)`` scores, best first.
    """
    n = scores.shape[1]
    k_eff = min(k, n - 1)
    s = torch.from_numpy(np.ascontiguousarray(scores, dtype=np.float32)).clone()
    rows = torch.arange(s.shape[0])
    s[rows, torch.from_numpy(query_idx)] = float("-inf")
    values, idx = torch.topk(s, k_eff, dim=1, largest=True, sorted=True)
    idx_np = idx.numpy().astype(np.int64)
    val_np = values.numpy()
    idx_np[~np.isfinite(val_np)] = -1
    if k_eff < k:
        pad = k - k_eff
        idx_np = np.pad(idx_np, ((0, 0), (0, pad)), constant_values=-1)
        val_np = np.pad(val_np, ((0, 0), (0, pad)), constant_values=-np.inf)
    return idx_np, val_np


def fill_from_fallback(
    idx: IntArray, values: FloatArray, query_idx: IntArray, fallback: IntArray, min_score: float = 0.0
) -> IntArray:
    """Replace the positions whose score is ``<= min_score`` ("no evidence") by the next products of
    a global ranking ``fallback`` (e.g. by popularity), skipping the query and products already listed.

    Shapes: ``idx``/``values`` ``(Q, K)``, ``query_idx`` ``(Q,)``, ``fallback`` ``(M,)``, ``M >= K + 1``.
    """
    out = idx.copy()
    weak = ~(values > min_score)
    for row in np.flatnonzero(weak.any(axis=1)):
        keep = [int(i) for i, w in zip(out[row], weak[row], strict=True) if not w and i >= 0]
        taken = set(keep)
        taken.add(int(query_idx[row]))
        for candidate in fallback:
            if len(keep) == out.shape[1]:
                break
            c = int(candidate)
            if c not in taken:
                keep.append(c)
                taken.add(c)
        keep.extend([-1] * (out.shape[1] - len(keep)))
        out[row] = keep
    return out


class ScoreRecommender(ABC):
    """A recommender defined by dense score rows, with blocked top-K.

    Subclasses implement :meth:`scores`. When ``fallback`` (a global product ranking) is set, list
    positions without evidence (score ``<= 0``) are filled from it (``co-occurrence + popular``).
    """

    name: str = "scores"
    fallback: IntArray | None = None
    block_size: int = 1024

    @property
    @abstractmethod
    def n_products(self) -> int: ...

    @abstractmethod
    def scores(self, query_idx: IntArray) -> FloatArray:
        """``(Q,)`` query indices -> ``(Q, N)`` float32 scores (higher is better)."""

    def top_k(self, query_idx: IntArray, k: int) -> IntArray:
        query_idx = np.asarray(query_idx, dtype=np.int64)
        out = np.full((len(query_idx), k), -1, dtype=np.int64)
        for start in range(0, len(query_idx), self.block_size):
            block = query_idx[start : start + self.block_size]
            idx, values = top_k_rows(self.scores(block), block, k)
            if self.fallback is not None:
                idx = fill_from_fallback(idx, values, block, self.fallback)
            out[start : start + len(block)] = idx
        return out
