"""Positive pairs, negatives and cold-start masks for link-prediction training (fresh every step).

* :class:`PairSampler` draws positive pairs the way the protocol weighs them: a basket :math:`b` with
  probability :math:`\\propto w_b |b|` (each of its :math:`|b|` queries counts once, :math:`w_b` the
  time decay), then a query :math:`q` uniformly in :math:`b`, then a target uniformly in
  :math:`b \\setminus \\{q\\}`.
* :class:`NegativeSampler` draws products uniformly or popularity-aware,
  :math:`P(i) \\propto (n_i + 1)^{\\alpha}` (:math:`\\alpha = 0.75` as in word2vec): popular products
  are the hard negatives of this data, and the ``+1`` keeps never-sold products in play.
* :func:`cold_start_mask` hides a random share of the nodes: their edges leave the message-passing
  graph and their structural features are zeroed, so the model must place them from content alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from training.aliases import IntArray
from training.interactions import BasketArrays, item_counts

__all__ = ["NegativeSampler", "PairSampler", "cold_start_mask", "drop_edges"]

Float64Array = npt.NDArray[np.float64]


class PairSampler:
    """Positive (query, target) pairs from baskets with at least two products."""

    def __init__(self, baskets: BasketArrays, weights: Float64Array | None = None) -> None:
        sizes = baskets.sizes
        keep = sizes >= 2
        if not keep.any():
            raise ValueError("no basket with two or more products to learn from")
        self.starts = baskets.indptr[:-1][keep]
        self.sizes = sizes[keep]
        self.items = baskets.items
        w = np.ones(len(sizes)) if weights is None else np.asarray(weights, dtype=np.float64)
        p = w[keep] * self.sizes
        self.p = p / p.sum()

    def sample(self, n: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
        """``n`` pairs as two ``(n,)`` arrays of product indices (query, target), query != target."""
        b = rng.choice(len(self.sizes), size=n, p=self.p)
        size = self.sizes[b]
        qo = (rng.random(n) * size).astype(np.int64)
        to = (rng.random(n) * (size - 1)).astype(np.int64)
        to = to + (to >= qo)
        return self.items[self.starts[b] + qo], self.items[self.starts[b] + to]


@dataclass(frozen=True, slots=True)
class NegativeSampler:
    """Negatives over all ``N`` products: ``"uniform"`` or ``"popularity"`` (:math:`(n_i+1)^\\alpha`)."""

    probabilities: Float64Array

    @classmethod
    def create(cls, baskets: BasketArrays, kind: str = "popularity", alpha: float = 0.75) -> NegativeSampler:
        n = baskets.n_products
        if kind == "uniform":
            p = np.ones(n)
        elif kind == "popularity":
            p = (item_counts(baskets).astype(np.float64) + 1.0) ** alpha
        else:
            raise ValueError(f"unknown negative sampling {kind!r}: uniform or popularity")
        return cls(p / p.sum())

    def sample(self, n: int, rng: np.random.Generator) -> IntArray:
        return rng.choice(len(self.probabilities), size=n, p=self.probabilities).astype(np.int64)


def cold_start_mask(num_nodes: int, fraction: float, generator: torch.Generator) -> Tensor:
    """``(N,)`` bool: each node hidden with probability ``fraction``."""
    return torch.rand(num_nodes, generator=generator) < fraction


def drop_edges(
    edge_index: Tensor, edge_weight: Tensor, hidden: Tensor | None, p_drop: float, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Remove every edge touching a hidden node, and each other edge with probability ``p_drop``.

    Edges are dropped per direction; ``edge_index`` ``(2, E)``, ``edge_weight`` ``(E,)``.
    """
    keep = torch.rand(edge_index.shape[1], generator=generator) >= p_drop
    if hidden is not None:
        keep &= ~(hidden[edge_index[0]] | hidden[edge_index[1]])
    return edge_index[:, keep], edge_weight[keep]
