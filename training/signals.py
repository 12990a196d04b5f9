"""The hybrid's inputs for one window of baskets: pair signals, popularity, trends, GNN and text
vectors (:class:`HybridSignals`, :func:`build_signals`), and from them each query's candidates and
their features, which :class:`~training.models.ranker.Ranker` scores.

Candidates: for query :math:`q`, the union of the ``n_candidates`` best products by each
pair signal (below), by GNN score, by text cosine, and the globally trending and popular products
(``q`` and duplicates removed). Computed per block of queries; GNN and text neighbours come from a
chunked maximum-inner-product search, so memory stays bounded for large catalogues.

Features :math:`f_{qc} \\in \\mathbb{R}^F` for each candidate
(:data:`~training.params.HYBRID_FEATURES`). Pair signals (:data:`~training.params.PAIR_SIGNALS`) are
sparse product-product matrices :math:`A` with diagonal :math:`d`: ``dcooc`` time-decayed basket
co-occurrence (half-life tuned on validation), ``scooc`` the same with a 14-day half-life (what
changed lately), ``ccooc`` customer-level co-occurrence (bought by the same customers, in any of
their orders). For each:

===================  =================================================================
``{A}_rel``           :math:`A_{qc} / \\max_j A_{qj}` (0 when :math:`q` has no row)
``{A}_assoc``         :math:`A_{qc} / \\sqrt{d_q d_c}` (a cosine association)
``dcooc_log``         :math:`\\log(1 + A^{dcooc}_{qc})` (absolute evidence)
``gnn``               :math:`\\tau z_q^\\top z_c + b_c` from the GNN (cold :math:`q`: from content alone)
``text``              :math:`e_q^\\top e_c` text cosine
``trend``             :math:`\\log(1 + \\text{sales}_c \\text{ in the last 30 days})`, scaled to [0, 1]
``pop``               :math:`\\log(1 + n_c)`, scaled to [0, 1]
``recency``           :math:`\\exp(-\\Delta t_c / 30\\,\\text{days})` since :math:`c` last sold
``q_pop``             :math:`\\log(1 + n_q)` scaled (lets the ranker trust pair signals by evidence)
``dpop``              :math:`\\log(1 + d_c)` scaled, :math:`d_c` the time-decayed count (``dcooc``'s diagonal)
===================  =================================================================

A cold query has no pair signal: those features are 0 and its GNN vector is its content-only one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from training.aliases import BoolArray, FloatArray, IntArray
from training.interactions import (
    CSR,
    DAY_S,
    BasketArrays,
    cooccurrence,
    customer_cooccurrence,
    decay_weights,
    item_counts,
)
from training.params import FEATURE_INDEX, HYBRID_FEATURES, HybridConfig
from training.recommender import top_k_dot

__all__ = ["HybridSignals", "PairSignal", "build_signals"]


def _scaled_log(values: FloatArray) -> FloatArray:
    top = float(np.log1p(values.max())) if len(values) and values.max() > 0 else 1.0
    out: FloatArray = (np.log1p(values) / top).astype(np.float32)
    return out


@dataclass(slots=True)
class PairSignal:
    """A sparse product-product signal ``matrix`` ``(N, N)`` and its diagonal ``diag`` ``(N,)``.

    Gives, for (query, candidate) pairs, the value :math:`A_{qc}`, its share of the row maximum and
    the cosine association :math:`A_{qc} / \\sqrt{d_q d_c}`; and each row's strongest products.
    """

    name: str
    matrix: CSR
    diag: FloatArray
    keys: IntArray = field(init=False, repr=False)
    rowmax: FloatArray = field(init=False, repr=False)
    top: IntArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = self.matrix.shape[0]
        rows, cols, vals = self.matrix.to_coo()
        self.keys = rows * n + cols  # sorted: CSR rows are column-sorted
        rowmax = np.zeros(n, dtype=np.float32)
        np.maximum.at(rowmax, rows, vals)
        self.rowmax = rowmax
        self.top = np.full((n, 0), -1, dtype=np.int64)

    def prepare(self, n_candidates: int) -> None:
        """Precompute each row's ``n_candidates`` strongest products, ``(N, M)``, strongest first."""
        n = self.matrix.shape[0]
        top = self.matrix.top_k_per_row(n_candidates)
        out = np.full((n, n_candidates), -1, dtype=np.int64)
        counts = top.row_nnz()
        rows = np.repeat(np.arange(n), counts)
        slot = np.arange(top.nnz) - np.repeat(top.indptr[:-1], counts)
        order = np.lexsort((-top.data, rows))
        out[rows[order], slot] = top.indices[order]
        self.top = out

    def lookup(self, q: IntArray, c: IntArray) -> FloatArray:
        """:math:`A_{qc}` for index arrays of equal shape (0 where absent or ``c == -1``)."""
        n = self.matrix.shape[0]
        if len(self.keys) == 0:
            return np.zeros(q.shape, dtype=np.float32)
        probe = q * n + c
        pos = np.minimum(np.searchsorted(self.keys, probe), len(self.keys) - 1)
        found = (self.keys[pos] == probe) & (c >= 0)
        out: FloatArray = np.where(found, self.matrix.data[pos], 0.0).astype(np.float32)
        return out


@dataclass(slots=True)
class HybridSignals:
    """Everything the hybrid's features come from, for one window of baskets.

    Shapes: ``pairs`` of ``(N, N)`` :class:`PairSignal`; ``trend``, ``pop``, ``recency``, ``seen``
    ``(N,)``; ``gnn`` the GNN's key vectors ``(N, D)``, ``gnn_query`` its query vectors ``(N, D)`` and
    ``gnn_cold`` the query vectors each node gets from content alone (all ``None`` without a GNN);
    ``text`` ``(N, D_t)`` unit rows (or ``None``). The GNN score is ``gnn_query[q] @ gnn[c]``.
    """

    pairs: dict[str, PairSignal]
    trend: FloatArray
    pop: FloatArray
    recency: FloatArray
    seen: BoolArray
    gnn: FloatArray | None
    gnn_query: FloatArray | None
    gnn_cold: FloatArray | None
    text: FloatArray | None
    global_top: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    dpop: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    @property
    def n_products(self) -> int:
        return len(self.pop)

    def prepare(self, n_candidates: int) -> None:
        """Precompute candidate lists: each pair signal's strongest products, and the global lists."""
        for signal in self.pairs.values():
            signal.prepare(n_candidates)
        decayed = self.pairs["dcooc"].diag if "dcooc" in self.pairs else np.zeros_like(self.pop)
        self.dpop = _scaled_log(np.asarray(decayed, dtype=np.float32))
        by_trend = np.argsort(-self.trend, kind="stable")[:n_candidates]
        by_pop = np.argsort(-self.pop, kind="stable")[:n_candidates]
        # the decayed-popularity head is time-decayed co-occurrence's fill: keep it a candidate
        by_dpop = np.argsort(-decayed, kind="stable")[:n_candidates]
        self.global_top = np.concatenate([by_trend, by_pop, by_dpop]).astype(np.int64)

    def query_vectors(
        self, q: IntArray, cold: BoolArray, zq: FloatArray | None = None, eq: FloatArray | None = None
    ) -> tuple[FloatArray | None, FloatArray | None]:
        """The GNN and text vectors of the queries: a cold query's GNN vector is its content-only one.

        ``zq`` ``(B, D)`` and ``eq`` ``(B, D_t)`` override them (for products outside the index).
        """
        safe = np.maximum(q, 0)
        if zq is None and self.gnn_query is not None:
            zq = self.gnn_query[safe].copy()
            if self.gnn_cold is not None and cold.any():
                zq[cold] = self.gnn_cold[safe[cold]]
        if eq is None and self.text is not None:
            eq = self.text[safe]
        return zq, eq

    def candidates(
        self,
        q: IntArray,
        cold: BoolArray,
        config: HybridConfig,
        zq: FloatArray | None = None,
        eq: FloatArray | None = None,
    ) -> IntArray:
        """``(B, C)`` candidate products per query (``-1`` padding), the query itself excluded.

        A query index of ``-1`` stands for a product outside the index; pass its vectors as ``zq``/``eq``.
        """
        m = config.n_candidates
        cold = cold | (q < 0)
        zq, eq = self.query_vectors(q, cold, zq, eq)
        parts = [np.broadcast_to(self.global_top, (len(q), len(self.global_top)))]
        for name, signal in self.pairs.items():
            if config.uses(name) and signal.top.shape[1]:
                top = signal.top[np.maximum(q, 0), :m].copy()
                top[cold] = -1
                parts.append(top)
        for table, vectors, used in ((self.gnn, zq, config.use_gnn), (self.text, eq, config.use_text)):
            if used and table is not None and vectors is not None:
                idx, _ = top_k_dot(vectors, table, m, exclude=q)
                parts.append(idx)
        cand = np.concatenate(parts, axis=1)
        return unique_per_row(np.where(cand == q[:, None], -1, cand))

    def features(
        self,
        q: IntArray,
        cand: IntArray,
        cold: BoolArray,
        zq: FloatArray | None = None,
        eq: FloatArray | None = None,
    ) -> FloatArray:
        """``(B, C, F)`` features of each (query, candidate); ``cold`` queries see no pair signal."""
        b, c = cand.shape
        cold = cold | (q < 0)
        zq, eq = self.query_vectors(q, cold, zq, eq)
        q = np.maximum(q, 0)
        qq = np.broadcast_to(q[:, None], (b, c))
        safe = np.where(cand >= 0, cand, 0)
        f = np.zeros((b, c, len(HYBRID_FEATURES)), dtype=np.float32)
        for name, signal in self.pairs.items():
            value = signal.lookup(qq, cand)
            value[cold] = 0.0
            rowmax = np.where(cold, 0.0, signal.rowmax[q])[:, None]
            f[..., FEATURE_INDEX[f"{name}_rel"]] = np.where(
                rowmax > 0, value / np.maximum(rowmax, 1e-12), 0.0
            )
            norm = np.sqrt(np.maximum(signal.diag[qq] * signal.diag[safe], 1e-12))
            f[..., FEATURE_INDEX[f"{name}_assoc"]] = value / norm
            if name == "dcooc":
                f[..., FEATURE_INDEX["dcooc_log"]] = np.log1p(value)
        if self.gnn is not None and zq is not None:
            f[..., FEATURE_INDEX["gnn"]] = _pair_dot(zq, self.gnn, safe)
        if self.text is not None and eq is not None:
            f[..., FEATURE_INDEX["text"]] = _pair_dot(eq, self.text, safe)
        f[..., FEATURE_INDEX["trend"]] = self.trend[safe]
        f[..., FEATURE_INDEX["pop"]] = self.pop[safe]
        f[..., FEATURE_INDEX["recency"]] = self.recency[safe]
        f[..., FEATURE_INDEX["q_pop"]] = np.where(cold, 0.0, self.pop[q])[:, None]
        if len(self.dpop):
            f[..., FEATURE_INDEX["dpop"]] = self.dpop[safe]
        f[cand < 0] = 0.0
        return f


def unique_per_row(cand: IntArray) -> IntArray:
    """Each row's distinct product ids (``-1`` = none), valid ids first in descending order, ``-1``
    padding after them, trimmed to the widest row (at least one column)."""
    cand = np.sort(cand, axis=1)
    dup = np.zeros_like(cand, dtype=np.bool_)
    dup[:, 1:] = cand[:, 1:] == cand[:, :-1]
    cand[dup] = -1
    cand = -np.sort(-cand, axis=1)
    width = int((cand >= 0).sum(axis=1).max()) if len(cand) else 0
    out: IntArray = np.ascontiguousarray(cand[:, : max(width, 1)])
    return out


def _pair_dot(
    queries: FloatArray, table: FloatArray, cand: IntArray, dense_limit: int = 50_000_000
) -> FloatArray:
    """:math:`q_b^\\top t_{c_{bj}}` for ``queries`` ``(B, D)``, ``table`` ``(N, D)``, ``cand`` ``(B, C)``.

    One ``(B, N)`` product and a gather when that is small (BLAS, no ``(B, C, D)`` copy), else a
    gather of candidate rows in slices of queries.
    """
    b, n = len(queries), len(table)
    if b * n <= dense_limit:
        out: FloatArray = np.take_along_axis(queries @ table.T, cand, axis=1)
        return out
    out = np.empty(cand.shape, dtype=np.float32)
    step = max(1, dense_limit // max(1, cand.shape[1] * table.shape[1]))
    for s in range(0, b, step):
        rows = table[cand[s : s + step]]  # (s, C, D)
        out[s : s + step] = np.matmul(rows, queries[s : s + step, :, None])[..., 0]
    return out


def build_signals(
    baskets: BasketArrays,
    ref_s: float,
    half_life_days: float,
    gnn: tuple[FloatArray, FloatArray, FloatArray] | None,
    text: FloatArray | None,
    trending_days: float = 30.0,
    n_candidates: int = 50,
    short_half_life_days: float = 14.0,
) -> HybridSignals:
    """Signals of the window ``baskets`` ending at ``ref_s``.

    ``gnn`` is ``(keys, queries, cold_queries)``, each ``(N, D)``, or ``None``.
    ``dcooc`` uses ``half_life_days`` (tuned on validation), ``scooc`` ``short_half_life_days``,
    ``ccooc`` (customers) ``half_life_days``.
    """
    pairs: dict[str, PairSignal] = {}
    for name, h in (("dcooc", half_life_days), ("scooc", short_half_life_days)):
        w = decay_weights(baskets.ts, ref_s, h)
        pairs[name] = PairSignal(name, cooccurrence(baskets, w), item_counts(baskets, w))
    matrix, diag = customer_cooccurrence(baskets, decay_weights(baskets.ts, ref_s, half_life_days))
    pairs["ccooc"] = PairSignal("ccooc", matrix, diag)
    pop = item_counts(baskets)
    trend = item_counts(baskets.window(ref_s - trending_days * DAY_S, ref_s))
    line_ts = np.repeat(baskets.ts, baskets.sizes)
    last = np.full(baskets.n_products, -np.inf)
    np.maximum.at(last, baskets.items, line_ts)
    seen = pop > 0
    recency = np.where(seen, np.exp(-np.maximum(ref_s - last, 0.0) / (30 * DAY_S)), 0.0).astype(np.float32)
    text_n = None
    if text is not None:
        text_n = (text / np.maximum(np.linalg.norm(text, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    signals = HybridSignals(
        pairs=pairs,
        trend=_scaled_log(trend),
        pop=_scaled_log(pop),
        recency=recency,
        seen=seen,
        gnn=None if gnn is None else gnn[0],
        gnn_query=None if gnn is None else gnn[1],
        gnn_cold=None if gnn is None else gnn[2],
        text=text_n,
    )
    signals.prepare(n_candidates)
    return signals
