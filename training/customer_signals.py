"""What a learned customer model knows about a customer at a moment: their history as features of
every candidate product (:class:`CustomerSignals`), built from the baskets before that moment.

Per (customer, product): how often and how recently it was bought, the customer's usual interval
between two purchases of it (so whether it is due), its TIFU-KNN score (own and nearest customers'
decayed frequencies) and its association with the customer's history (time-decayed co-occurrence);
per product: popularity and trend; per customer: how many orders they placed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from training.aliases import IntArray
from training.customer_baselines import (
    Sparse,
    TifuKnn,
    TifuParams,
    decayed_cooccurrence_matrix,
    personal_matrix,
    tifu_vectors,
)
from training.customer_gnn import CustomerGnn
from training.interactions import BasketArrays, item_counts
from training.signals import unique_per_row

__all__ = ["CUSTOMER_FEATURES", "GNN_FEATURES", "CustomerSignals", "build_customer_signals"]

Scores = npt.NDArray[np.float64]
DAY_S = 86_400.0

CUSTOMER_FEATURES: tuple[str, ...] = (
    "log_count",
    "decayed_share",
    "bought",
    "log_days_since",
    "due_ratio",
    "has_interval",
    "tifu",
    "association",
    "log_popularity",
    "log_trend",
    "log_orders",
    "repeat_rate",
    "order_share",
    "in_last_order",
    "log_history_rank",
    "log_distinct",
    "log_product_interval",
    "product_due_ratio",
    "log_trend_growth",
    "last_order_association",
    "log_tifu_rank",
    "log_customer_gap",
    "log_customer_recency",
    "customer_due_ratio",
    "log_basket_size",
    "gnn",
    "log_gnn_rank",
)
#: The features that come from the customer GNN (left out without one)
GNN_FEATURES: tuple[str, ...] = ("gnn", "log_gnn_rank")
_F = {name: i for i, name in enumerate(CUSTOMER_FEATURES)}
NEVER_DAYS = 730.0


@dataclass(slots=True)
class CustomerSignals:
    """Sparse ``(C, N)`` histories and ``(N,)`` product statistics at ``ref_s``."""

    ref_s: float
    counts: Sparse
    decayed: Sparse
    days_since: Sparse  # days since the last purchase, plus one (0: never bought)
    interval: Sparse  # mean days between purchases (0: bought fewer than twice)
    tifu: TifuKnn
    cooc: Sparse  # row-normalised time-decayed co-occurrence
    popularity: Scores
    trend: Scores
    orders: Scores
    repeat_rate: Scores
    last_order: Sparse  # 1 where the product was in the customer's latest order
    product_interval: Scores  # (N,) mean days between two purchases of the product by one customer
    trend_growth: Scores  # (N,) log((last 28 days + 1) / (the 28 days before + 1))
    customer_gap: Scores  # (C,) mean days between the customer's orders (0: one order)
    customer_recency: Scores  # (C,) days since the customer's latest order
    basket_size: Scores  # (C,) mean products per order
    gnn: CustomerGnn | None = None

    @property
    def n_products(self) -> int:
        return int(self.counts.shape[1])

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The columns of :meth:`features`: :data:`CUSTOMER_FEATURES`, without the GNN's if none."""
        if self.gnn is not None:
            return CUSTOMER_FEATURES
        return tuple(f for f in CUSTOMER_FEATURES if f not in GNN_FEATURES)

    def sources(self, customers: IntArray) -> dict[str, Scores]:
        """``(B, N)`` dense scores of each candidate source for a block of customers."""
        safe = np.clip(customers, 0, self.counts.shape[0] - 1)
        decayed = np.asarray(self.decayed[safe].toarray(), dtype=np.float64)
        out = {
            "history": decayed,
            "tifu": self.tifu.scores(customers, None),
            "association": np.asarray((self.decayed[safe] @ self.cooc).toarray(), dtype=np.float64),
        }
        if self.gnn is not None:
            # shifted to be positive: the candidate generator keeps sources' scores above zero
            g = self.gnn.scores(customers)
            g = g - g.min(axis=1, keepdims=True) + 1e-6
            g[decayed.max(axis=1) <= 0] = 0.0  # no history: no GNN vector
            out["gnn"] = g
        return out

    def candidates(self, customers: IntArray, sources: dict[str, Scores], per_source: int) -> IntArray:
        """``(B, M)`` candidate products: each source's strongest, and the trending and popular heads."""
        b = len(customers)
        per_source = min(per_source, self.n_products)
        parts = []
        for scores in sources.values():
            top = np.argpartition(-scores, per_source - 1, axis=1)[:, :per_source]
            top[np.take_along_axis(scores, top, axis=1) <= 0] = -1
            parts.append(top)
        for global_scores in (self.trend, self.popularity):
            head = np.argsort(-global_scores, kind="stable")[:per_source]
            parts.append(np.broadcast_to(head, (b, per_source)))
        return unique_per_row(np.concatenate(parts, axis=1))

    def features(
        self, customers: IntArray, cand: IntArray, sources: dict[str, Scores]
    ) -> npt.NDArray[np.float32]:
        """``(B, M, F)`` features of each (customer, candidate) (:attr:`feature_names`)."""
        safe_c = np.clip(customers, 0, self.counts.shape[0] - 1)
        safe = np.where(cand >= 0, cand, 0)
        rows = np.arange(len(customers))[:, None]

        def pick(matrix: Sparse) -> Scores:
            dense = np.asarray(matrix[safe_c].toarray(), dtype=np.float64)
            return dense[rows, safe]

        f = np.zeros((*cand.shape, len(CUSTOMER_FEATURES)), dtype=np.float32)
        count = pick(self.counts)
        days = pick(self.days_since)
        interval = pick(self.interval)
        bought = count > 0
        f[..., _F["log_count"]] = np.log1p(count)
        history = sources["history"]
        f[..., _F["decayed_share"]] = history[rows, safe] / np.maximum(
            history.max(axis=1, keepdims=True), 1e-12
        )
        f[..., _F["bought"]] = bought
        f[..., _F["log_days_since"]] = np.log1p(np.where(bought, days - 1.0, NEVER_DAYS))
        has_interval = interval > 0
        f[..., _F["due_ratio"]] = np.where(
            has_interval, np.minimum((days - 1.0) / np.maximum(interval, 1.0), 5.0), 0.0
        )
        f[..., _F["has_interval"]] = has_interval
        for name in ("tifu", "association"):
            s = sources[name]
            f[..., _F[name]] = s[rows, safe] / np.maximum(s.max(axis=1, keepdims=True), 1e-12)
        f[..., _F["log_popularity"]] = np.log1p(self.popularity[safe])
        f[..., _F["log_trend"]] = np.log1p(self.trend[safe])
        f[..., _F["log_orders"]] = np.log1p(self.orders[safe_c])[:, None]
        f[..., _F["repeat_rate"]] = self.repeat_rate[safe]
        orders = self.orders[safe_c][:, None]
        f[..., _F["order_share"]] = count / np.maximum(orders, 1.0)
        f[..., _F["in_last_order"]] = pick(self.last_order)
        # rank of the candidate in the customer's decayed history (1 = most bought), never bought last
        order = np.argsort(-history, axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(history.shape[1])[None, :], axis=1)
        f[..., _F["log_history_rank"]] = np.log1p(np.where(bought, rank[rows, safe] + 1, history.shape[1]))
        f[..., _F["log_distinct"]] = np.log1p(np.asarray((history > 0).sum(axis=1), dtype=np.float64))[
            :, None
        ]
        p_interval = self.product_interval[safe]
        f[..., _F["log_product_interval"]] = np.log1p(p_interval)
        f[..., _F["product_due_ratio"]] = np.where(
            bought & (p_interval > 0), np.minimum((days - 1.0) / np.maximum(p_interval, 1.0), 5.0), 0.0
        )
        f[..., _F["log_trend_growth"]] = self.trend_growth[safe]
        last = np.asarray((self.last_order[safe_c] @ self.cooc).toarray(), dtype=np.float64)
        f[..., _F["last_order_association"]] = last[rows, safe] / np.maximum(
            last.max(axis=1, keepdims=True), 1e-12
        )
        f[..., _F["log_tifu_rank"]] = np.log1p(_rank(sources["tifu"])[rows, safe])
        gap = self.customer_gap[safe_c][:, None]
        recency = self.customer_recency[safe_c][:, None]
        f[..., _F["log_customer_gap"]] = np.log1p(gap)
        f[..., _F["log_customer_recency"]] = np.log1p(recency)
        f[..., _F["customer_due_ratio"]] = np.where(
            gap > 0, np.minimum(recency / np.maximum(gap, 1.0), 5.0), 0.0
        )
        f[..., _F["log_basket_size"]] = np.log1p(self.basket_size[safe_c])[:, None]
        if self.gnn is not None:
            g = self.gnn.scores(customers)
            mu, sd = g.mean(axis=1, keepdims=True), np.maximum(g.std(axis=1, keepdims=True), 1e-6)
            f[..., _F["gnn"]] = ((g - mu) / sd)[rows, safe]
            f[..., _F["log_gnn_rank"]] = np.log1p(_rank(g)[rows, safe])
        f[cand < 0] = 0.0
        if self.gnn is None:
            return np.ascontiguousarray(f[..., [_F[n] for n in self.feature_names]])
        return f


def _rank(scores: Scores) -> IntArray:
    """``(B, N)`` each product's place in its row, best first (0 = the best)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(scores.shape[1])[None, :], axis=1)
    return rank


def _last_and_first(baskets: BasketArrays, n_customers: int) -> tuple[Sparse, Sparse]:
    """``(C, N)`` the latest and the earliest purchase time (epoch seconds) of each pair."""
    line_c = np.repeat(baskets.customers, baskets.sizes)
    line_t = np.repeat(baskets.ts, baskets.sizes)
    known = line_c >= 0
    keys = line_c[known] * baskets.n_products + baskets.items[known]
    t = line_t[known]
    order = np.lexsort((t, keys))
    keys, t = keys[order], t[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], len(keys)] - 1
    uniq = keys[starts]
    shape = (n_customers, baskets.n_products)
    rows, cols = uniq // baskets.n_products, uniq % baskets.n_products
    last = sp.csr_matrix((t[ends], (rows, cols)), shape=shape)
    first = sp.csr_matrix((t[starts], (rows, cols)), shape=shape)
    return last, first


def build_customer_signals(
    baskets: BasketArrays,
    n_customers: int,
    ref_s: float,
    half_life_days: float,
    cooc_half_life_days: float,
    tifu: TifuParams,
    trending_days: float = 30.0,
    gnn: CustomerGnn | None = None,
) -> CustomerSignals:
    """Every signal of :class:`CustomerSignals` from ``baskets`` (all before ``ref_s``); ``gnn``: a
    customer GNN fitted on the same baskets, for its candidates and features."""
    counts = personal_matrix(baskets, n_customers)
    decayed = personal_matrix(baskets, n_customers, ref_s, half_life_days)
    last, first = _last_and_first(baskets, n_customers)
    days_since = last.copy()
    days_since.data = (ref_s - last.data) / DAY_S + 1.0
    span = last.copy()
    span.data = (last.data - first.data) / DAY_S
    counts.sort_indices()
    span.sort_indices()
    if counts.nnz != span.nnz or not np.array_equal(counts.indices, span.indices):
        raise AssertionError("purchase counts and times must cover the same (customer, product) pairs")
    interval = span.copy()
    # the mean gap between successive purchases: the span over (purchases - 1), for two or more
    interval.data = np.where(counts.data > 1, span.data / np.maximum(counts.data - 1.0, 1.0), 0.0)
    interval.eliminate_zeros()
    cooc = decayed_cooccurrence_matrix(baskets, ref_s, cooc_half_life_days)
    row_max = np.asarray(cooc.max(axis=1).toarray()).ravel()
    cooc = (sp.diags(1.0 / np.maximum(row_max, 1e-12)) @ cooc).tocsr()
    buyers = np.asarray((counts > 0).sum(axis=0)).ravel().astype(np.float64)
    rebuyers = np.asarray((counts > 1).sum(axis=0)).ravel().astype(np.float64)
    recent = baskets.window(ref_s - trending_days * DAY_S, ref_s)
    orders = np.bincount(baskets.customers[baskets.customers >= 0], minlength=n_customers).astype(np.float64)
    latest = _latest_orders(baskets, n_customers)
    # the product's usual repurchase interval over the customers who bought it twice or more
    has = interval.copy()
    has.data = np.ones_like(has.data)
    n_int = np.asarray(has.sum(axis=0)).ravel()
    product_interval = np.asarray(interval.sum(axis=0)).ravel() / np.maximum(n_int, 1.0)
    window = 28.0 * DAY_S
    last4 = item_counts(baskets.window(ref_s - window, ref_s)).astype(np.float64)
    prev4 = item_counts(baskets.window(ref_s - 2 * window, ref_s - window)).astype(np.float64)
    gap, recency, size = _customer_rhythm(baskets, n_customers, ref_s)
    return CustomerSignals(
        ref_s=ref_s,
        counts=counts,
        decayed=decayed,
        days_since=days_since.tocsr(),
        interval=interval,
        tifu=TifuKnn(tifu_vectors(baskets, n_customers, tifu), item_counts(baskets), tifu),
        cooc=cooc,
        popularity=item_counts(baskets).astype(np.float64),
        trend=item_counts(recent).astype(np.float64),
        orders=orders,
        repeat_rate=rebuyers / np.maximum(buyers, 1.0),
        last_order=latest,
        product_interval=product_interval,
        trend_growth=np.log((last4 + 1.0) / (prev4 + 1.0)),
        customer_gap=gap,
        customer_recency=recency,
        basket_size=size,
        gnn=gnn,
    )


def _customer_rhythm(baskets: BasketArrays, n_customers: int, ref_s: float) -> tuple[Scores, Scores, Scores]:
    """``(C,)`` each customer's mean days between orders (0 with one order), days since their latest
    order (``NEVER_DAYS`` without one) and mean products per order."""
    known = baskets.customers >= 0
    c = baskets.customers[known]
    ts = baskets.ts[known]
    orders = np.bincount(c, minlength=n_customers).astype(np.float64)
    first = np.full(n_customers, np.inf)
    last = np.full(n_customers, -np.inf)
    np.minimum.at(first, c, ts)
    np.maximum.at(last, c, ts)
    seen = orders > 0
    gap = np.where(orders > 1, (last - first) / DAY_S / np.maximum(orders - 1.0, 1.0), 0.0)
    recency = np.where(seen, (ref_s - np.where(seen, last, ref_s)) / DAY_S, NEVER_DAYS)
    lines = np.bincount(c, weights=baskets.sizes[known].astype(np.float64), minlength=n_customers)
    size = lines / np.maximum(orders, 1.0)
    return gap, recency, size


def _latest_orders(baskets: BasketArrays, n_customers: int) -> Sparse:
    """``(C, N)`` 1 for the products of each customer's latest order."""
    known = np.flatnonzero(baskets.customers >= 0)
    order = known[np.lexsort((-baskets.ts[known], baskets.customers[known]))]
    cust = baskets.customers[order]
    first = order[np.r_[True, cust[1:] != cust[:-1]][: len(order)]] if len(order) else order
    latest = baskets.select(np.isin(np.arange(len(baskets)), first))
    line_c = np.repeat(latest.customers, latest.sizes)
    return sp.csr_matrix(
        (np.ones(len(latest.items)), (line_c, latest.items)), shape=(n_customers, baskets.n_products)
    )
