"""The baselines of the protocol, each a :class:`~training.recommender.Recommender`.

With item counts :math:`n_i`, co-occurrence :math:`C_{qi}` (:mod:`training.interactions`) and
L2-normalised text embeddings :math:`e_i`, the score of candidate :math:`i` for query :math:`q` is

* popularity: :math:`s_{qi} = n_i` over the train window;
* trending: :math:`s_{qi} = n_i` over the last 30 days of the train window;
* co-occurrence: :math:`s_{qi} = C_{qi}`, positions without a co-occurring product filled by popularity;
* time-decayed co-occurrence: :math:`s_{qi} = \\sum_b 2^{-(t_0 - t_b)/h} [q, i \\in b]` with
  :math:`t_0` the end of the train window and the half-life :math:`h` chosen on validation only
  (:func:`tune_half_life`), filled by decayed popularity;
* text cosine: :math:`s_{qi} = e_q^\\top e_i`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.aliases import FloatArray, IntArray
from training.evaluate import EvalQueries, EvalResult, evaluate_recommender
from training.interactions import CSR, DAY_S, BasketArrays, cooccurrence, decay_weights, item_counts
from training.recommender import Recommender, ScoreRecommender

__all__ = [
    "CoOccurrence",
    "Popularity",
    "TextCosine",
    "build_baselines",
    "decayed_cooccurrence",
    "popularity",
    "trending",
    "tune_half_life",
]


HALF_LIFE_GRID: tuple[float, ...] = (7.0, 14.0, 30.0, 60.0, 120.0, 240.0)


class Popularity(ScoreRecommender):
    """The same list for every query: products by a global count, the query left out."""

    def __init__(self, counts: FloatArray, name: str = "popularity") -> None:
        self.counts = np.asarray(counts, dtype=np.float32)
        self.name = name
        self._order = np.argsort(-self.counts, kind="stable").astype(np.int64)

    @property
    def n_products(self) -> int:
        return len(self.counts)

    @property
    def order(self) -> IntArray:
        """All products, most counted first (ties by index)."""
        return self._order

    def scores(self, query_idx: IntArray) -> FloatArray:
        return np.broadcast_to(self.counts, (len(query_idx), len(self.counts))).copy()

    def top_k(self, query_idx: IntArray, k: int) -> IntArray:
        head = self._order[: k + 1]
        query_idx = np.asarray(query_idx, dtype=np.int64)
        out = np.empty((len(query_idx), k), dtype=np.int64)
        is_q = head[None, :] == query_idx[:, None]  # (Q, k + 1): at most one true per row
        keep = ~is_q
        keep[~is_q.any(axis=1), k] = False  # drop the (k+1)-th where q was not in the head
        out[:] = np.broadcast_to(head, (len(query_idx), k + 1))[keep].reshape(len(query_idx), k)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, n_products={self.n_products})"


class CoOccurrence(ScoreRecommender):
    """Rows of a co-occurrence matrix, with positions lacking evidence filled from ``fallback``."""

    def __init__(self, matrix: CSR, fallback: IntArray, name: str = "cooccurrence") -> None:
        self.matrix = matrix
        self.fallback = np.asarray(fallback, dtype=np.int64)
        self.name = name

    @property
    def n_products(self) -> int:
        return self.matrix.shape[0]

    def scores(self, query_idx: IntArray) -> FloatArray:
        return self.matrix.dense_rows(np.asarray(query_idx, dtype=np.int64))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, nnz={self.matrix.nnz})"


class TextCosine(ScoreRecommender):
    """Cosine similarity of L2-normalised text embeddings, ``(N, D)``."""

    def __init__(self, embeddings: FloatArray, name: str = "text_cosine") -> None:
        e = np.asarray(embeddings, dtype=np.float32)
        norms = np.linalg.norm(e, axis=1, keepdims=True)
        self.embeddings = e / np.maximum(norms, 1e-12)
        self.name = name

    @property
    def n_products(self) -> int:
        return len(self.embeddings)

    def scores(self, query_idx: IntArray) -> FloatArray:
        out: FloatArray = self.embeddings[np.asarray(query_idx, dtype=np.int64)] @ self.embeddings.T
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_products={self.n_products}, dim={self.embeddings.shape[1]})"


def popularity(baskets: BasketArrays) -> Popularity:
    """Counts over all of ``baskets``."""
    return Popularity(item_counts(baskets), name="popularity")


def trending(baskets: BasketArrays, ref_s: float, days: float = 30.0) -> Popularity:
    """Counts over the ``days`` before ``ref_s`` (the end of the train window)."""
    recent = baskets.window(ref_s - days * DAY_S, ref_s)
    return Popularity(item_counts(recent), name="trending")


def cooccurrence_baseline(baskets: BasketArrays) -> CoOccurrence:
    """Plain co-occurrence counts, filled by popularity."""
    counts = item_counts(baskets)
    return CoOccurrence(cooccurrence(baskets), Popularity(counts).order, name="cooccurrence")


def decayed_cooccurrence(baskets: BasketArrays, ref_s: float, half_life_days: float) -> CoOccurrence:
    """Time-decayed co-occurrence with half-life ``half_life_days``, filled by decayed popularity."""
    w = decay_weights(baskets.ts, ref_s, half_life_days)
    counts = item_counts(baskets, w)
    return CoOccurrence(cooccurrence(baskets, w), Popularity(counts).order, name="decayed_cooccurrence")


def tune_half_life(
    fit: BasketArrays,
    val_queries: EvalQueries,
    ref_s: float,
    grid: Sequence[float] = HALF_LIFE_GRID,
    k: int = 10,
) -> tuple[float, dict[float, EvalResult]]:
    """Choose the half-life on the validation queries only (warm NDCG@k, ties to the shorter).

    ``fit`` are the baskets before validation and ``ref_s`` the start of validation.
    """
    results = {h: evaluate_recommender(decayed_cooccurrence(fit, ref_s, h), val_queries, k) for h in grid}
    best = max(grid, key=lambda h: (results[h].warm.ndcg, -h))
    return best, results


def build_baselines(
    train: BasketArrays,
    ref_s: float,
    text_embeddings: FloatArray | None,
    half_life_days: float,
    trending_days: float = 30.0,
) -> dict[str, Recommender]:
    """Every baseline fitted on ``train`` (window ending at ``ref_s``), keyed by name."""
    out: dict[str, Recommender] = {
        "popularity": popularity(train),
        "trending": trending(train, ref_s, trending_days),
        "cooccurrence": cooccurrence_baseline(train),
        "decayed_cooccurrence": decayed_cooccurrence(train, ref_s, half_life_days),
    }
    if text_embeddings is not None:
        out["text_cosine"] = TextCosine(text_embeddings)
    return out
