"""The customer comparison behind ``affinity eval --customers``: every baseline of ``DESIGN.md`` on
both customer protocols (:mod:`training.customer_protocols`), on one :class:`~training.split.TimeSplit`.

Every parameter is chosen on the validation period (the fit period's data scored on the validation
weeks, as for the item-to-item models) and the method is then rebuilt on the whole train window and
scored on the test period: the buy-again half-life, TIFU-KNN's grid point, the history/co-occurrence
weight. Differences to the strongest baseline come with a 95% bootstrap interval that resamples
customers (:func:`customer_bootstrap`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from training.aliases import BoolArray, FloatArray, IntArray
from training.baselines import HALF_LIFE_GRID, tune_half_life
from training.customer_baselines import (
    BuyAgain,
    CustomerRecommender,
    GlobalRanking,
    HistoryAssociations,
    HistoryCooccurrence,
    TifuKnn,
    decayed_cooccurrence_matrix,
    personal_matrix,
    tifu_vectors,
)
from training.customer_protocols import (
    CompletionQueries,
    NextBasketQueries,
    completion_queries,
    evaluate_next_basket,
    next_basket_hits,
    next_basket_queries,
)
from training.customer_ranker import CustomerModelParams, fit_customer_model
from training.evaluate import cluster_bootstrap
from training.interactions import BasketArrays, item_counts
from training.metrics import RankingMetrics, pair_metrics
from training.snapshot import CatalogueSnapshot
from training.split import TimeSplit, make_split

__all__ = [
    "BLEND_GRID",
    "CustomerReport",
    "add_intervals",
    "completion_criterion",
    "completion_hits",
    "customer_bootstrap",
    "learned_name",
    "next_basket_criterion",
    "run_customer_evaluation",
]

LEARNED = "learned customer ranker"


def learned_name(seed: int, gnn: bool = True) -> str:
    """The report row of the learned customer model for ``seed``, with or without its GNN."""
    return f"{LEARNED} (seed {seed})" if gnn else f"{LEARNED} without GNN (seed {seed})"


BLEND_GRID: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9)
K = 10
Scores = npt.NDArray[np.float64]

#: ``(lists (N, K'), calibrated scores (N, K'))`` of an item-to-item model, for the traversal and
#: "the item-to-item model alone" rows
ItemLists = tuple[IntArray, FloatArray]


def completion_hits(queries: CompletionQueries, lists: IntArray) -> BoolArray:
    """``(P, K)`` whether each listed product is in the pair's basket (``q`` never counts)."""
    pairs = queries.pairs
    probe = pairs.basket[:, None] * pairs.n_products + lists
    pos = np.minimum(np.searchsorted(pairs.keys, probe), len(pairs.keys) - 1)
    hits: BoolArray = (pairs.keys[pos] == probe) & (lists >= 0) & (lists != pairs.q[:, None])
    return hits


def _completion_lists(rec: CustomerRecommender, queries: CompletionQueries) -> IntArray:
    return rec.top_k(queries.customer, K, query=queries.pairs.q)


def _next_basket_lists(rec: CustomerRecommender, queries: NextBasketQueries) -> IntArray:
    return rec.top_k(queries.customers, K)


def completion_criterion(queries: CompletionQueries, lists: IntArray) -> float:
    """What choices on validation maximise for basket completion: (Recall@K + NDCG@K) / 2."""
    m = RankingMetrics.from_hits(completion_hits(queries, lists), queries.pairs.n_targets)
    return 0.5 * (m.recall + m.ndcg)


def next_basket_criterion(queries: NextBasketQueries, lists: IntArray) -> float:
    """What choices on validation maximise for next basket: (Recall@K + NDCG@K) / 2."""
    r = evaluate_next_basket(queries, lists)
    return 0.5 * (r.recall + r.ndcg)


def _completion_score(rec: CustomerRecommender, queries: CompletionQueries) -> float:
    return completion_criterion(queries, _completion_lists(rec, queries))


def _next_basket_score(rec: CustomerRecommender, queries: NextBasketQueries) -> float:
    return next_basket_criterion(queries, _next_basket_lists(rec, queries))


class ItemToItem(CustomerRecommender):
    """The item-to-item model alone: its list for ``q``, whoever the customer (basket completion)."""

    name = "item-to-item model"

    def __init__(self, lists: ItemLists, popularity: FloatArray) -> None:
        super().__init__(popularity)
        idx = lists[0]
        n, k = idx.shape
        valid = idx.ravel() >= 0
        # the model's order whatever its scores' scale: a strictly decreasing weight per rank
        weight = np.tile(np.linspace(2.0, 1.0, k), n)
        rows = np.repeat(np.arange(n), k)
        self.by_rank = sp.csr_matrix((weight[valid], (rows[valid], idx.ravel()[valid])), shape=(n, n))

    def scores(self, customers: IntArray, query: IntArray | None) -> Scores:
        if query is None:
            return np.zeros((len(customers), self.by_rank.shape[1]))
        out: Scores = np.asarray(self.by_rank[query].toarray(), dtype=np.float64)
        return out


@dataclass(slots=True)
class CustomerReport:
    """Test metrics of every method on both protocols, the choices made on validation, intervals."""

    split: dict[str, str | None]
    sizes: dict[str, int]
    next_basket: dict[str, dict[str, float | int]]
    completion: dict[str, dict[str, float | int]]
    chosen: dict[str, Any]
    #: protocol -> method -> metric -> (difference to the strongest baseline, low, high)
    intervals: dict[str, dict[str, dict[str, tuple[float, float, float]]]] = field(default_factory=dict)
    strongest: dict[str, str] = field(default_factory=dict)
    #: protocol -> seed -> metric -> (with the GNN minus without, low, high), paired over customers
    ablation: dict[str, dict[str, dict[str, tuple[float, float, float]]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "sizes": self.sizes,
            "next_basket": self.next_basket,
            "completion": self.completion,
            "chosen": self.chosen,
            "intervals": {
                p: {m: {k: list(v) for k, v in d.items()} for m, d in methods.items()}
                for p, methods in self.intervals.items()
            },
            "strongest": self.strongest,
            "ablation": {
                p: {seed: {k: list(v) for k, v in d.items()} for seed, d in seeds.items()}
                for p, seeds in self.ablation.items()
            },
        }


def _n_customers(snapshot_baskets: BasketArrays) -> int:
    return int(snapshot_baskets.customers.max(initial=-1)) + 1


def _choose(
    factory: Callable[[float], CustomerRecommender],
    grid: tuple[float, ...],
    score: Callable[[CustomerRecommender], float],
) -> tuple[float, dict[str, float]]:
    values = {f"{v:g}": score(factory(v)) for v in grid}
    best = max(grid, key=lambda v: (values[f"{v:g}"], -v))
    return best, values


def run_customer_evaluation(
    snapshot: CatalogueSnapshot,
    split: TimeSplit,
    item_lists: ItemLists | None = None,
    half_life_grid: tuple[float, ...] = HALF_LIFE_GRID,
    trending_days: float = 30.0,
    learned_seeds: tuple[int, ...] = (),
    learned_params: CustomerModelParams | None = None,
) -> tuple[CustomerReport, dict[str, dict[str, IntArray]], NextBasketQueries, CompletionQueries]:
    """Every customer baseline on ``split`` (see the module docstring). ``item_lists``: an item-to-item
    model's lists over the snapshot's products (fitted on the train window), for its two rows;
    ``learned_seeds``: one next-basket row of the learned customer ranker
    (:mod:`training.customer_ranker`) per seed, with the half-lives and TIFU-KNN's parameters chosen
    above, and one of the same model without its customer GNN (the ablation); ``learned_params``: its
    other parameters (default :class:`CustomerModelParams`).

    Returns the report, the test lists by protocol and method, and the test queries (for intervals).
    """
    data = make_split(snapshot, split)
    everything = BasketArrays.from_baskets(snapshot.baskets, snapshot.index)
    n_cust = _n_customers(everything)
    val_s, end_s = split.val_start.timestamp(), split.train_end.timestamp()
    val_nb, test_nb = next_basket_queries(data.fit, data.val), next_basket_queries(data.train, data.test)
    val_cq = completion_queries(data.fit, data.val, data.warm_fit)
    test_cq = completion_queries(data.train, data.test, data.warm_train)
    pop_fit, pop_train = item_counts(data.fit), item_counts(data.train)
    chosen: dict[str, Any] = {}

    def trending_counts(baskets: BasketArrays, ref_s: float) -> FloatArray:
        return item_counts(baskets.window(ref_s - trending_days * 86_400, ref_s))

    # buy-again by decayed count: the half-life that ranks the validation next baskets best
    h_buy, values = _choose(
        lambda h: BuyAgain(personal_matrix(data.fit, n_cust, val_s, h), pop_fit, "buy-again (decayed)"),
        half_life_grid,
        lambda rec: _next_basket_score(rec, val_nb),
    )
    chosen["buy-again half-life (days)"] = {"chosen": h_buy, "validation": values}
    tifu_val, tifu_values = TifuKnn.choose(
        data.fit, n_cust, pop_fit, lambda rec: _next_basket_score(rec, val_nb)
    )
    chosen["TIFU-KNN"] = {"chosen": repr(tifu_val.params), "validation": tifu_values}
    h_cooc, _ = tune_half_life(data.fit, data.val_queries, val_s, half_life_grid)
    cooc_fit = decayed_cooccurrence_matrix(data.fit, val_s, h_cooc)
    personal_fit = personal_matrix(data.fit, n_cust, val_s, h_buy)
    beta, beta_values = _choose(
        lambda b: HistoryCooccurrence(personal_fit, cooc_fit, pop_fit, b),
        BLEND_GRID,
        lambda rec: _completion_score(rec, val_cq),
    )
    chosen["history + co-occurrence weight of the history"] = {"chosen": beta, "validation": beta_values}
    chosen["co-occurrence half-life (days)"] = h_cooc

    # rebuilt on the whole train window with the choices above
    personal_train = personal_matrix(data.train, n_cust, end_s, h_buy)
    methods: dict[str, CustomerRecommender] = {
        "popularity": GlobalRanking(pop_train, "popularity"),
        "trending": GlobalRanking(trending_counts(data.train, end_s), "trending"),
        "buy-again (count)": BuyAgain(personal_matrix(data.train, n_cust), pop_train, "buy-again (count)"),
        "buy-again (decayed)": BuyAgain(personal_train, pop_train, "buy-again (decayed)"),
        "TIFU-KNN": TifuKnn(tifu_vectors(data.train, n_cust, tifu_val.params), pop_train, tifu_val.params),
        "history + co-occurrence": HistoryCooccurrence(
            personal_train, decayed_cooccurrence_matrix(data.train, end_s, h_cooc), pop_train, beta
        ),
    }
    if item_lists is not None:
        methods["traversal (today's recommendations)"] = HistoryAssociations(
            personal_matrix(data.train, n_cust), item_lists[0], item_lists[1], pop_train
        )
        methods["item-to-item model"] = ItemToItem(item_lists, pop_train)
    lists: dict[str, dict[str, IntArray]] = {"next_basket": {}, "completion": {}}
    next_basket: dict[str, dict[str, float | int]] = {}
    completion: dict[str, dict[str, float | int]] = {}
    # Without a query product these two are other methods' lists (decayed buy-again; nothing).
    completion_only = {"history + co-occurrence", "item-to-item model"}
    for name, rec in methods.items():
        if name not in completion_only:
            lists["next_basket"][name] = _next_basket_lists(rec, test_nb)
            next_basket[name] = evaluate_next_basket(test_nb, lists["next_basket"][name]).as_dict()
        lists["completion"][name] = _completion_lists(rec, test_cq)
        hits = completion_hits(test_cq, lists["completion"][name])
        completion[name] = RankingMetrics.from_hits(hits, test_cq.pairs.n_targets).as_dict()
    fit_seconds: dict[str, float] = {}
    for seed in learned_seeds:
        params = replace(
            learned_params or CustomerModelParams(),
            seed=seed,
            half_life_days=h_buy,
            cooc_half_life_days=h_cooc,
            tifu=tifu_val.params,
        )
        for gnn in (True, False):
            start = time.perf_counter()
            model = fit_customer_model(data.train, n_cust, end_s, replace(params, use_gnn=gnn))
            name = learned_name(seed, gnn)
            fit_seconds[name] = round(time.perf_counter() - start, 1)
            lists["next_basket"][name] = model.top_k(test_nb.customers, K)
            next_basket[name] = evaluate_next_basket(test_nb, lists["next_basket"][name]).as_dict()
        chosen["learned customer ranker parameters"] = {"chosen": params.as_dict()}
    if fit_seconds:
        chosen["learned customer ranker fit (s, train window)"] = {"chosen": fit_seconds}
    sizes = {
        "next_basket_customers": len(test_nb),
        "next_basket_repeat_customers": int(next(iter(next_basket.values()))["n_repeat"]),
        "completion_pairs": len(test_cq.pairs),
        "completion_customers": len(np.unique(test_cq.customer)),
        "validation_next_basket_customers": len(val_nb),
        "validation_completion_pairs": len(val_cq.pairs),
    }
    report = CustomerReport(split.as_dict(), sizes, next_basket, completion, chosen)
    return report, lists, test_nb, test_cq


def _per_customer(values: Scores, owner: IntArray) -> tuple[Scores, Scores, IntArray]:
    """Sums and counts of ``values`` per customer (``owner`` ``(P,)``), and the customers."""
    customers, inverse = np.unique(owner, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(customers)).astype(np.float64)
    counts = np.bincount(inverse, minlength=len(customers)).astype(np.float64)
    return sums, counts, customers


def customer_bootstrap(
    a: Scores, b: Scores, owner: IntArray, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean difference of per-query values ``a - b`` with a 95% interval resampling customers
    (``owner`` ``(P,)``, the customer of each query; pairs of one customer are not independent)."""
    sums, counts, _ = _per_customer(a - b, owner)
    return cluster_bootstrap(sums, counts, n_boot, seed)


def add_intervals(
    report: CustomerReport,
    lists: dict[str, dict[str, IntArray]],
    next_basket: NextBasketQueries,
    completion: CompletionQueries,
    models: tuple[str, ...],
) -> None:
    """Intervals of each name in ``models`` (and of every learned row) against the strongest baseline
    of each protocol, and each seed's learned model with its GNN against the same seed without it."""
    learned = [m for m in lists["next_basket"] if m.startswith(LEARNED)]
    models = tuple(dict.fromkeys([*models, *learned]))
    per_query: dict[str, dict[str, tuple[Scores, Scores]]] = {"next_basket": {}, "completion": {}}
    for name, ranked in lists["next_basket"].items():
        hits = next_basket_hits(next_basket, ranked)
        _, recall, ndcg = pair_metrics(hits, next_basket.sizes)
        per_query["next_basket"][name] = (recall, ndcg)
    for name, ranked in lists["completion"].items():
        _, recall, ndcg = pair_metrics(completion_hits(completion, ranked), completion.pairs.n_targets)
        per_query["completion"][name] = (recall, ndcg)
    owners = {"next_basket": next_basket.customers, "completion": completion.customer}
    tables = {"next_basket": report.next_basket, "completion": report.completion}
    for protocol, table in tables.items():
        baselines = [m for m in table if m not in models and not m.startswith(LEARNED)]
        for i, metric in enumerate(("recall", "ndcg")):
            best = max(baselines, key=lambda m: float(table[m][metric]))
            report.strongest[f"{protocol} {metric}"] = best
            for model in models:
                if model not in per_query[protocol]:
                    continue
                a, b = per_query[protocol][model][i], per_query[protocol][best][i]
                report.intervals.setdefault(protocol, {}).setdefault(model, {})[metric] = customer_bootstrap(
                    a, b, owners[protocol]
                )
    for name in learned:
        seed = name.rsplit("(seed ", 1)[-1].rstrip(")")
        without = learned_name(int(seed), gnn=False)
        if name == without or without not in per_query["next_basket"]:
            continue
        for i, metric in enumerate(("recall", "ndcg")):
            a, b = per_query["next_basket"][name][i], per_query["next_basket"][without][i]
            report.ablation.setdefault("next_basket", {}).setdefault(seed, {})[metric] = customer_bootstrap(
                a, b, owners["next_basket"]
            )
