"""The learned hybrid at serve time: :class:`HybridRecommender` ranks each query's candidates
(:class:`~training.signals.HybridSignals`) with a fitted :class:`~training.models.ranker.Ranker`.

Candidates and features come from :mod:`training.signals`, the ranker's fitting from
:mod:`training.fit_ranker`, the choice of its residual weight from :mod:`training.selection`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from training.aliases import FloatArray, IntArray
from training.models.ranker import Ranker
from training.params import HybridConfig
from training.signals import HybridSignals

__all__ = ["HybridRecommender"]


class HybridRecommender:
    """Candidates from :class:`HybridSignals`, ordered by a fitted :class:`Ranker`.

    A query is cold when ``signals.seen[q]`` is false (it sold nowhere in the window).
    """

    def __init__(
        self, signals: HybridSignals, ranker: Ranker, config: HybridConfig, name: str = "hybrid"
    ) -> None:
        self.signals = signals
        self.ranker = ranker
        self.config = config
        self.name = name
        self.block_size = 256

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, ranker={self.ranker!r}, config={self.config})"

    @torch.no_grad()
    def top_k_scores(
        self,
        query_idx: IntArray,
        k: int,
        zq: FloatArray | None = None,
        eq: FloatArray | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """``(Q, k)`` products and ranker scores, best first (``-1`` / ``-inf`` padding).

        For products outside the index pass ``query_idx = -1`` with their GNN vectors ``zq``
        ``(Q, D)`` and text vectors ``eq`` ``(Q, D_t)``; they are ranked as cold queries.
        """
        query_idx = np.asarray(query_idx, dtype=np.int64)
        out_i = np.full((len(query_idx), k), -1, dtype=np.int64)
        out_s = np.full((len(query_idx), k), -np.inf, dtype=np.float32)
        for start in range(0, len(query_idx), self.block_size):
            sl = slice(start, start + self.block_size)
            zb = None if zq is None else zq[sl]
            eb = None if eq is None else eq[sl]
            cand, features, cold = self._block(query_idx[sl], zb, eb)
            picked, vals = self._best(cand, features, cold, k)
            out_i[sl, : picked.shape[1]] = picked
            out_s[sl, : vals.shape[1]] = vals
        return out_i, out_s

    def _block(
        self, q: IntArray, zb: FloatArray | None = None, eb: FloatArray | None = None
    ) -> tuple[IntArray, Tensor, Tensor]:
        """Candidates ``(B, C)``, their features and the cold mask of one block of queries."""
        cold = (q < 0) | ~self.signals.seen[np.maximum(q, 0)]
        cand = self.signals.candidates(q, cold, self.config, zb, eb)
        features = torch.from_numpy(self.signals.features(q, cand, cold, zb, eb))
        return cand, features, torch.from_numpy(cold)

    def _best(self, cand: IntArray, features: Tensor, cold: Tensor, k: int) -> tuple[IntArray, FloatArray]:
        """The ranker's top ``min(k, C)`` candidates of a block and their scores (``-1`` where a query
        has fewer valid candidates)."""
        s = self.ranker(features, cold).masked_fill(torch.from_numpy(cand < 0), float("-inf"))
        vals, pos = torch.topk(s, min(k, s.shape[1]), dim=1)
        picked = np.take_along_axis(cand, pos.numpy(), axis=1)
        picked[~np.isfinite(vals.numpy())] = -1
        return picked, vals.numpy()

    def top_k(self, query_idx: IntArray, k: int) -> IntArray:
        return self.top_k_scores(query_idx, k)[0]

    @torch.no_grad()
    def top_k_per_scale(
        self, query_idx: IntArray, k: int, scales: tuple[float, ...]
    ) -> dict[float, IntArray]:
        """:meth:`top_k` of the index's products for each residual weight in ``scales``, with the
        candidates and features computed once (``ranker.scale`` is restored afterwards)."""
        query_idx = np.asarray(query_idx, dtype=np.int64)
        out = {lam: np.full((len(query_idx), k), -1, dtype=np.int64) for lam in scales}
        before = float(self.ranker.scale)
        try:
            for start in range(0, len(query_idx), self.block_size):
                sl = slice(start, start + self.block_size)
                cand, features, cold = self._block(query_idx[sl])
                for lam in scales:
                    self.ranker.scale.fill_(lam)
                    picked, _ = self._best(cand, features, cold, k)
                    out[lam][sl, : picked.shape[1]] = picked
        finally:
            self.ranker.scale.fill_(before)
        return out
