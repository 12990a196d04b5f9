"""The customer baselines of ``DESIGN.md`` ("Evaluation with customers"), for both customer protocols
(:mod:`training.customer_protocols`).

Every method scores all products for a block of customers (and, for basket completion, a query
product ``q`` each) and lists the best ``k``; products without evidence follow in order of train
popularity, so every list is full and ties are broken the same way for every method.

* :class:`GlobalRanking`: popularity or trending, the same list for everyone;
* :class:`BuyAgain`: the customer's own products by count, or by time-decayed count (P-TopFreq);
* :class:`TifuKnn`: TIFU-KNN (Hu et al., SIGIR 2020): time-decayed personal item-frequency vectors
  (decay inside groups of consecutive baskets and across groups) blended with the mean vector of the
  customer's k nearest customers (cosine);
* :class:`HistoryCooccurrence`: the customer's decayed history blended with the time-decayed
  co-occurrence row of ``q`` (basket completion);
* :class:`HistoryAssociations`: today's traversal: the item-to-item scores summed over the
  customer's history, weighted by how often each product was bought, the history itself left out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from training.aliases import FloatArray, IntArray
from training.interactions import BasketArrays, cooccurrence, decay_weights

__all__ = [
    "BuyAgain",
    "CustomerRecommender",
    "GlobalRanking",
    "HistoryAssociations",
    "HistoryCooccurrence",
    "TifuKnn",
    "TifuParams",
    "personal_matrix",
]

Sparse: TypeAlias = sp.csr_matrix
Scores = npt.NDArray[np.float64]


def personal_matrix(
    baskets: BasketArrays, n_customers: int, ref_s: float | None = None, half_life_days: float | None = None
) -> Sparse:
    """``(C, N)`` how often (time-decayed with ``half_life_days`` before ``ref_s``) each customer bought
    each product, one count per order."""
    weights = (
        np.ones(len(baskets))
        if ref_s is None or half_life_days is None
        else decay_weights(baskets.ts, ref_s, half_life_days)
    )
    line_c = np.repeat(baskets.customers, baskets.sizes)
    line_w = np.repeat(weights, baskets.sizes)
    known = line_c >= 0
    return sp.csr_matrix(
        (line_w[known], (line_c[known], baskets.items[known])), shape=(n_customers, baskets.n_products)
    )


class CustomerRecommender(ABC):
    """Scores ``(B, N)`` for customers (and query products), listed best first with a popularity tail."""

    name: str = "customer"
    block_size: int = 512

    def __init__(self, popularity: FloatArray) -> None:
        pop = np.asarray(popularity, dtype=np.float64)
        # a tie-break below any evidence: popularity scaled into (0, 1e-6)
        self.tail = 1e-6 * (1.0 + pop) / (2.0 + pop.max(initial=0.0))

    @abstractmethod
    def scores(self, customers: IntArray, query: IntArray | None) -> Scores:
        """``(B, N)`` non-negative evidence per product (0: none)."""

    def top_k(self, customers: IntArray, k: int, query: IntArray | None = None) -> IntArray:
        """``(B, k)`` products per customer; with ``query`` ``(B,)`` each row's query is left out."""
        customers = np.asarray(customers, dtype=np.int64)
        out = np.full((len(customers), k), -1, dtype=np.int64)
        for start in range(0, len(customers), self.block_size):
            sl = slice(start, start + self.block_size)
            q = None if query is None else np.asarray(query[sl], dtype=np.int64)
            s = np.asarray(self.scores(customers[sl], q), dtype=np.float64) + self.tail[None, :]
            s = np.where(np.isfinite(s), s, -np.inf)
            if q is not None:
                s[np.arange(len(q)), q] = -np.inf
            top = np.argpartition(-s, k - 1, axis=1)[:, :k]
            order = np.lexsort((top, -np.take_along_axis(s, top, axis=1)), axis=1)
            picked = np.take_along_axis(top, order, axis=1)
            picked[~np.isfinite(np.take_along_axis(s, picked, axis=1))] = -1
            out[sl] = picked
        return out


class GlobalRanking(CustomerRecommender):
    """Popularity or trending: one list for every customer."""

    def __init__(self, counts: FloatArray, name: str) -> None:
        super().__init__(counts)
        self.name = name

    def scores(self, customers: IntArray, query: IntArray | None) -> Scores:
        return np.zeros((len(customers), len(self.tail)))


def _rows(matrix: Sparse, customers: IntArray) -> Scores:
    safe = np.clip(customers, 0, matrix.shape[0] - 1)
    dense: Scores = np.asarray(matrix[safe].toarray(), dtype=np.float64)
    dense[customers < 0] = 0.0
    return dense


class BuyAgain(CustomerRecommender):
    """The customer's products by (time-decayed) count: P-TopFreq."""

    def __init__(self, personal: Sparse, popularity: FloatArray, name: str) -> None:
        super().__init__(popularity)
        self.personal = personal
        self.name = name

    def scores(self, customers: IntArray, query: IntArray | None) -> Scores:
        return _rows(self.personal, customers)


@dataclass(frozen=True, slots=True)
class TifuParams:
    """TIFU-KNN's parameters: baskets per group, decay inside a group (``r_b``) and across groups
    (``r_g``), neighbours, and the weight of the customer's own vector (``alpha``)."""

    group_size: int = 7
    r_b: float = 0.9
    r_g: float = 0.7
    neighbours: int = 300
    alpha: float = 0.9


#: Grid searched on validation (:meth:`TifuKnn.choose`).
TIFU_GRID: dict[str, tuple[float, ...]] = {
    "group_size": (3, 7),
    "r_b": (0.9, 1.0),
    "r_g": (0.6, 0.9),
    "neighbours": (100, 300),
    "alpha": (0.7, 0.9),
}


def _tifu_params(values: dict[str, float]) -> TifuParams:
    base = TifuParams()
    return TifuParams(
        group_size=int(values.get("group_size", base.group_size)),
        r_b=float(values.get("r_b", base.r_b)),
        r_g=float(values.get("r_g", base.r_g)),
        neighbours=int(values.get("neighbours", base.neighbours)),
        alpha=float(values.get("alpha", base.alpha)),
    )


def tifu_vectors(baskets: BasketArrays, n_customers: int, params: TifuParams) -> Sparse:
    """``(C, N)`` TIFU personal vectors: each customer's baskets, newest first, in groups of
    ``group_size``; basket ``i`` of a group (0 = newest) weighs ``r_b ** i / |group|``, group ``j``
    (0 = newest) ``r_g ** j / n_groups``."""
    known = np.flatnonzero(baskets.customers >= 0)
    cust = baskets.customers[known]
    order = known[np.lexsort((-baskets.ts[known], cust))]  # by customer, newest first
    cust = baskets.customers[order]
    starts = np.r_[0, np.flatnonzero(np.diff(cust)) + 1] if len(order) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, len(order)])
    pos = np.arange(len(order)) - np.repeat(starts, counts)  # 0 = newest basket of the customer
    n_baskets = np.repeat(counts, counts)
    group = pos // params.group_size
    n_groups = -(-n_baskets // params.group_size)
    group_len = np.minimum(params.group_size, n_baskets - group * params.group_size)
    inside = pos % params.group_size
    weight = params.r_b**inside / group_len * params.r_g**group / n_groups
    sizes = baskets.sizes[order]
    starts_items = baskets.indptr[:-1][order]
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    items = baskets.items[np.repeat(starts_items, sizes) + offsets]
    return sp.csr_matrix(
        (np.repeat(weight, sizes), (np.repeat(cust, sizes), items)), shape=(n_customers, baskets.n_products)
    )


class TifuKnn(CustomerRecommender):
    """TIFU-KNN: ``alpha * u_c + (1 - alpha) * mean of u over c's nearest customers`` (cosine)."""

    name = "tifu_knn"

    def __init__(self, vectors: Sparse, popularity: FloatArray, params: TifuParams) -> None:
        super().__init__(popularity)
        self.vectors = vectors
        self.params = params
        norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
        self.unit = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ vectors
        self.unit_t = self.unit.T.tocsr()

    def scores(self, customers: IntArray, query: IntArray | None) -> Scores:
        own = _rows(self.vectors, customers)
        safe = np.clip(customers, 0, self.vectors.shape[0] - 1)
        sims = np.asarray((self.unit[safe] @ self.unit_t).toarray())
        sims[np.arange(len(customers)), safe] = -np.inf
        k = min(self.params.neighbours, sims.shape[1] - 1)
        if k < 1:
            return own
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(len(customers)), k)
        pick = sp.csr_matrix(
            (np.full(rows.size, 1.0 / k), (rows, nearest.ravel())), shape=(len(customers), sims.shape[1])
        )
        neighbours = np.asarray((pick @ self.vectors).toarray())
        blended: Scores = self.params.alpha * own + (1.0 - self.params.alpha) * neighbours
        blended[customers < 0] = 0.0
        return blended

    @classmethod
    def choose(
        cls,
        fit: BasketArrays,
        n_customers: int,
        popularity: FloatArray,
        evaluate: Callable[[CustomerRecommender], float],
        grid: dict[str, tuple[float, ...]] | None = None,
    ) -> tuple[TifuKnn, dict[str, float]]:
        """The grid point with the best ``evaluate(recommender)`` (a float, higher is better), and
        every point's value by its parameters."""
        points = grid or TIFU_GRID
        names = list(points)
        best: tuple[float, TifuKnn] | None = None
        values: dict[str, float] = {}
        vectors: dict[tuple[int, float, float], Sparse] = {}  # they depend on the decays only
        for point in product(*(points[n] for n in names)):
            params = _tifu_params(dict(zip(names, point, strict=True)))
            decays = (params.group_size, params.r_b, params.r_g)
            if decays not in vectors:
                vectors[decays] = tifu_vectors(fit, n_customers, params)
            rec = cls(vectors[decays], popularity, params)
            value = float(evaluate(rec))
            values[",".join(f"{n}={v:g}" for n, v in zip(names, point, strict=True))] = value
            if best is None or value > best[0]:
                best = (value, rec)
        assert best is not None
        return best[1], values


class HistoryCooccurrence(CustomerRecommender):
    """``beta * history_c / max + (1 - beta) * C_q / max``: the customer's decayed history and the
    time-decayed co-occurrence row of the query product (basket completion)."""

    name = "history_cooccurrence"

    def __init__(self, personal: Sparse, cooc: Sparse, popularity: FloatArray, beta: float) -> None:
        super().__init__(popularity)
        self.personal = personal
        self.cooc = cooc
        self.beta = beta

    def scores(self, customers: IntArray, query: IntArray | None) -> Scores:
        history = _rows(self.personal, customers)
        history /= np.maximum(history.max(axis=1, keepdims=True), 1e-12)
        if query is None:
            return history
        row = np.asarray(self.cooc[query].toarray(), dtype=np.float64)
        row /= np.maximum(row.max(axis=1, keepdims=True), 1e-12)
        blended: Scores = self.beta * history + (1.0 - self.beta) * row
        return blended


def decayed_cooccurrence_matrix(baskets: BasketArrays, ref_s: float, half_life_days: float) -> Sparse:
    """The time-decayed co-occurrence matrix as scipy CSR."""
    c = cooccurrence(baskets, decay_weights(baskets.ts, ref_s, half_life_days))
    return sp.csr_matrix((c.data, c.indices, c.indptr), shape=c.shape)


class HistoryAssociations(CustomerRecommender):
    """Today's traversal: ``sum over history products h of times_h * score(h -> j)``, history left out."""

    name = "history_associations"

    def __init__(
        self, counts: Sparse, lists: IntArray, list_scores: FloatArray, popularity: FloatArray
    ) -> None:
        super().__init__(popularity)
        self.counts = counts
        n, k = lists.shape
        valid = lists >= 0
        rows = np.repeat(np.arange(n), k)[valid.ravel()]
        self.edges = sp.csr_matrix((list_scores[valid], (rows, lists[valid])), shape=(n, n))

    def scores(self, customers: IntArray, query: IntArray | None) -> Scores:
        safe = np.clip(customers, 0, self.counts.shape[0] - 1)
        counts = self.counts[safe]
        out: Scores = np.asarray((counts @ self.edges).toarray(), dtype=np.float64)
        bought = np.asarray(counts.toarray()) > 0
        out[bought] = -np.inf
        out[customers < 0] = 0.0
        return out
