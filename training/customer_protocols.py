"""The two customer protocols of ``DESIGN.md`` ("Evaluation with customers"), vectorised.

**Next basket.** Every customer with an order in the train window and one in the test period; the
target is the set of distinct products of their *first* test order. A method returns 10 products per
customer. HR@10, Recall@10 = hits / min(10, |target|) and NDCG@10 over customers, and, after Li et al.
("A Next Basket Recommendation Reality Check", TOIS 2023), the target split into *repeat* products
(bought by the customer in the train window) and *explore* products: recall on each part (over the
customers whose target has such products) and the share of repeat products in the top 10.

**Basket completion with the customer.** The item-to-item pairs ``(B, q)`` of the test period,
restricted to baskets of customers with train orders; a method gets ``q`` and the customer and returns
10 products (``q`` excluded); the targets are ``B \\ {q}``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from training.aliases import BoolArray, IntArray
from training.evaluate import EvalQueries, build_queries
from training.interactions import BasketArrays
from training.metrics import discounts, ideal_dcg

__all__ = [
    "CompletionQueries",
    "NextBasketQueries",
    "NextBasketResult",
    "completion_queries",
    "evaluate_next_basket",
    "history_matrix",
    "next_basket_hits",
    "next_basket_queries",
]


def history_matrix(baskets: BasketArrays, n_customers: int) -> tuple[IntArray, IntArray]:
    """Sorted keys ``customer * N + product`` of every (customer, product) bought in ``baskets``, and
    the ``(C,)`` number of orders of each customer."""
    line_c = np.repeat(baskets.customers, baskets.sizes)
    known = line_c >= 0
    keys = np.unique(line_c[known] * baskets.n_products + baskets.items[known])
    orders = np.bincount(baskets.customers[baskets.customers >= 0], minlength=n_customers)
    return keys.astype(np.int64), orders.astype(np.int64)


def _member(keys: IntArray, probe: IntArray) -> BoolArray:
    """``probe`` entries found in the sorted ``keys``."""
    if len(keys) == 0:
        return np.zeros(probe.shape, dtype=np.bool_)
    pos = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
    found: BoolArray = keys[pos] == probe
    return found


@dataclass(frozen=True, slots=True)
class NextBasketQueries:
    """One row per evaluated customer: ``customers`` ``(U,)``, their target products as CSR
    (``indptr`` ``(U + 1,)``, ``items`` ``(L,)``), ``repeat`` ``(L,)`` whether the customer bought
    that product in the train window, and the sorted train-window ``history`` keys."""

    customers: IntArray
    indptr: IntArray
    items: IntArray
    repeat: BoolArray
    history: IntArray
    n_products: int

    def __len__(self) -> int:
        return len(self.customers)

    @property
    def sizes(self) -> IntArray:
        out: IntArray = np.diff(self.indptr)
        return out


def next_basket_queries(train: BasketArrays, test: BasketArrays) -> NextBasketQueries:
    """Customers with an order in ``train`` and one in ``test``; targets from their first test order."""
    n_customers = int(max(train.customers.max(initial=-1), test.customers.max(initial=-1))) + 1
    history, orders = history_matrix(train, n_customers)
    known = (test.customers >= 0) & (orders[np.maximum(test.customers, 0)] > 0)
    rows = np.flatnonzero(known)
    # first test order per customer: the earliest ts, ties by position
    order = rows[np.lexsort((rows, test.ts[rows], test.customers[rows]))]
    new_customer = np.r_[True, test.customers[order][1:] != test.customers[order][:-1]]
    first = order[new_customer[: len(order)]]
    chosen = test.select(np.isin(np.arange(len(test)), first))
    customers = chosen.customers
    items = chosen.items
    repeat = _member(history, np.repeat(customers, chosen.sizes) * test.n_products + items)
    return NextBasketQueries(customers, chosen.indptr, items, repeat, history, test.n_products)


@dataclass(frozen=True, slots=True)
class NextBasketResult:
    """Means over customers; ``repeat_recall``/``explore_recall`` over customers whose target has
    repeat/explore products; ``repeat_share``: mean share of the top K the customer bought before."""

    hr: float
    recall: float
    ndcg: float
    repeat_recall: float
    explore_recall: float
    repeat_share: float
    n: int
    n_repeat: int
    n_explore: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def next_basket_hits(queries: NextBasketQueries, ranked: IntArray) -> BoolArray:
    """``(U, K)`` whether each listed product is in the customer's target."""
    u = len(queries)
    owner = np.repeat(np.arange(u, dtype=np.int64), queries.sizes)
    keys = np.sort(owner * queries.n_products + queries.items)
    probe = np.arange(u, dtype=np.int64)[:, None] * queries.n_products + ranked
    return _member(keys, probe) & (ranked >= 0)


def evaluate_next_basket(queries: NextBasketQueries, ranked: IntArray) -> NextBasketResult:
    """Metrics of ``ranked`` ``(U, K)`` lists aligned with ``queries.customers``."""
    if len(queries) == 0:
        nan = float("nan")
        return NextBasketResult(nan, nan, nan, nan, nan, nan, 0, 0, 0)
    k = ranked.shape[1]
    hits = next_basket_hits(queries, ranked)
    sizes = queries.sizes
    n_hits = hits.sum(axis=1).astype(np.float64)
    listed_repeat = _member(queries.history, queries.customers[:, None] * queries.n_products + ranked)
    listed_repeat &= ranked >= 0
    owner = np.repeat(np.arange(len(queries)), sizes)
    n_repeat = np.bincount(owner, weights=queries.repeat, minlength=len(queries))
    n_explore = sizes - n_repeat
    has_r, has_e = n_repeat > 0, n_explore > 0
    repeat_recall = (hits & listed_repeat).sum(axis=1)[has_r] / np.minimum(n_repeat[has_r], k)
    explore_recall = (hits & ~listed_repeat).sum(axis=1)[has_e] / np.minimum(n_explore[has_e], k)
    return NextBasketResult(
        hr=float((n_hits > 0).mean()),
        recall=float((n_hits / np.minimum(sizes, k)).mean()),
        ndcg=float(((hits.astype(np.float64) @ discounts(k)) / ideal_dcg(sizes, k)).mean()),
        repeat_recall=float(repeat_recall.mean()) if has_r.any() else float("nan"),
        explore_recall=float(explore_recall.mean()) if has_e.any() else float("nan"),
        repeat_share=float(listed_repeat.sum(axis=1).mean() / k),
        n=len(queries),
        n_repeat=int(has_r.sum()),
        n_explore=int(has_e.sum()),
    )


@dataclass(frozen=True, slots=True)
class CompletionQueries:
    """The item-to-item pairs of baskets whose customer has train orders, with ``customer`` ``(P,)``."""

    pairs: EvalQueries
    customer: IntArray


def completion_queries(
    train: BasketArrays, test: BasketArrays, warm_products: BoolArray
) -> CompletionQueries:
    """Basket-completion pairs of ``test`` restricted to customers with an order in ``train``."""
    n_customers = int(max(train.customers.max(initial=-1), test.customers.max(initial=-1))) + 1
    orders = np.bincount(train.customers[train.customers >= 0], minlength=n_customers)
    known = (test.customers >= 0) & (orders[np.maximum(test.customers, 0)] > 0)
    kept = test.select(known)
    pairs = build_queries(kept, warm_products)
    multi = kept.customers[kept.sizes >= 2]
    return CompletionQueries(pairs, multi[pairs.basket].astype(np.int64))
