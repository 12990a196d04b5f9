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
import torch

from training.aliases import FloatArray, IntArray

__all__ = [
    "DotRecommender",
    "Recommender",
    "ScoreRecommender",
    "fill_from_fallback",
    "top_k_dot",
    "top_k_rows",
]


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


def top_k_dot(
    queries: FloatArray | torch.Tensor,
    table: FloatArray | torch.Tensor,
    k: int,
    exclude: IntArray | None = None,
    chunk: int = 65_536,
) -> tuple[IntArray, FloatArray]:
    """Top-``k`` rows of ``table`` by dot product with each query, over candidate chunks.

    Args:
        queries: ``(B, D)`` query vectors.
        table: ``(N, D)`` candidate vectors: a numpy array (scored on the CPU), or a tensor, scored
            on its own device; put it on the GPU once and pass it to every call, so that only the
            queries and the ``(B, k)`` results cross the bus.
        k: list length (clipped to ``N``).
        exclude: ``(B,)`` a candidate index to leave out per query (its own row), or ``-1``.
        chunk: candidates scored at a time; memory is :math:`O(B \\cdot \\text{chunk})`, not
            :math:`O(B \\cdot N)`, with a running top-k merged after each chunk.

    Returns:
        ``(B, k)`` indices and scores, best first.
    """
    device = table.device if isinstance(table, torch.Tensor) else torch.device("cpu")
    q = torch.as_tensor(
        np.ascontiguousarray(queries, dtype=np.float32) if isinstance(queries, np.ndarray) else queries
    )
    q = q.to(device=device, dtype=torch.float32)
    b, n = q.shape[0], table.shape[0]
    k_eff = min(k, n)
    best_v = torch.full((b, k_eff), float("-inf"), device=device)
    best_i = torch.full((b, k_eff), -1, dtype=torch.long, device=device)
    ex = None if exclude is None else torch.as_tensor(np.asarray(exclude, dtype=np.int64), device=device)
    rows = torch.arange(b, device=device)
    for start in range(0, n, chunk):
        if isinstance(table, torch.Tensor):
            block = table[start : start + chunk].float()
        else:
            block = torch.from_numpy(np.ascontiguousarray(table[start : start + chunk], dtype=np.float32))
        s = q @ block.T  # (B, c)
        if ex is not None:
            local = ex - start
            inside = (local >= 0) & (local < block.shape[0])
            s[rows[inside], local[inside]] = float("-inf")
        kk = min(k_eff, s.shape[1])
        v, i = torch.topk(s, kk, dim=1)
        merged_v = torch.cat([best_v, v], dim=1)
        merged_i = torch.cat([best_i, i + start], dim=1)
        best_v, pos = torch.topk(merged_v, k_eff, dim=1)
        best_i = torch.gather(merged_i, 1, pos)
    idx = best_i.cpu().numpy().astype(np.int64)
    val = best_v.cpu().numpy()
    idx[~np.isfinite(val)] = -1
    if k_eff < k:
        idx = np.pad(idx, ((0, 0), (0, k - k_eff)), constant_values=-1)
        val = np.pad(val, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return idx, val


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


class DotRecommender(ScoreRecommender):
    """:math:`s_{qc} = u_q^\\top v_c`, query vectors ``queries`` ``(N, D)``, keys ``keys`` ``(N, D)``."""

    def __init__(self, queries: FloatArray, keys: FloatArray, name: str = "dot") -> None:
        if queries.shape != keys.shape:
            raise ValueError(f"queries {queries.shape} and keys {keys.shape} differ")
        self.queries = np.asarray(queries, dtype=np.float32)
        self.keys = np.asarray(keys, dtype=np.float32)
        self.name = name

    @property
    def n_products(self) -> int:
        return len(self.keys)

    def scores(self, query_idx: IntArray) -> FloatArray:
        out: FloatArray = self.queries[np.asarray(query_idx, dtype=np.int64)] @ self.keys.T
        return out

    def __repr__(self) -> str:
        dim = self.keys.shape[1]
        return f"{type(self).__name__}(name={self.name!r}, n_products={self.n_products}, dim={dim})"
