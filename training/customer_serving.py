"""The customer model as it is served (:mod:`graph_schema.recommended`): what a retrain writes per
customer (:func:`stored_recommendations`) and the API's query-time scoring, vectorised
(:func:`served_lists`), so the offline evaluation scores exactly what the API answers; and the choice
of the query-time weights on validation (:func:`choose_serving_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from graph_schema.recommended import SCORE_DECIMALS, Reason, ServingWeights
from training.aliases import FloatArray, IntArray
from training.cobought import CoBought, cobought_matrices
from training.coordinate_ascent import coordinate_ascent
from training.customer_baselines import TifuParams, personal_matrix
from training.customer_experiment import completion_criterion, completion_hits, next_basket_criterion
from training.customer_protocols import (
    CompletionQueries,
    NextBasketQueries,
    completion_queries,
    evaluate_next_basket,
    next_basket_queries,
)
from training.customer_ranker import (
    CustomerModel,
    CustomerModelParams,
    fit_customer_model,
)
from training.interactions import BasketArrays
from training.metrics import RankingMetrics
from training.snapshot import CatalogueSnapshot
from training.split import TimeSplit, make_split

__all__ = [
    "REASONS",
    "BasketEvidence",
    "ServedEvaluation",
    "StoredRecommendations",
    "choose_serving_weights",
    "evaluate_served",
    "purchase_share",
    "retrain_customer_params",
    "served_lists",
    "stored_recommendations",
]

#: Reason codes of :class:`StoredRecommendations` (index -> reason)
REASONS: tuple[Reason, ...] = tuple(Reason)
#: TIFU-KNN's parameters as chosen on validation in ``docs/evaluation.md`` ("Customers")
CHOSEN_TIFU = TifuParams(group_size=3, r_b=1.0, r_g=0.6, neighbours=300, alpha=0.7)
REPEAT_GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.5, 1.0, 2.0)
#: The weights of a query with a basket (:class:`ServingWeights`), chosen together on validation basket
#: completion, and each one's grid
BASKET_WEIGHTS: tuple[str, ...] = ("basket_repeat", "basket", "cobought", "confidence", "lift")
WEIGHT_GRID: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
#: Where the choice on validation starts (coordinate ascent depends on it): the served formula before
#: the co-purchase terms, not :class:`ServingWeights`' defaults, which hold the last choice
SEARCH_START = ServingWeights(
    repeat=0.1, basket=2.0, basket_repeat=0.1, cobought=0.0, confidence=0.0, lift=0.0
)


def retrain_customer_params(seed: int = 7, half_life_days: float = 120.0) -> CustomerModelParams:
    """The customer model a retrain fits: the offline evaluation's choices (half-lives, TIFU-KNN); no
    customer GNN: on validation it was within seed noise of the model without it (Recall@10 0.3558
    against 0.3523, seed spread about 0.005) at two to three times the fit time, so it has not earned
    its place; the gradient-boosted ranker on twelve weekly cuts, which beat the network on four
    monthly cuts on validation by 0.005 Recall@10 and 0.007 NDCG@10 (three seeds; docs/evaluation.md,
    "Customers")."""
    return replace(
        CustomerModelParams(),
        seed=seed,
        half_life_days=half_life_days,
        cooc_half_life_days=60.0,
        tifu=CHOSEN_TIFU,
        use_gnn=False,
        ranker="trees",
        cuts=12,
        cut_every_days=7.0,
    )


@dataclass(slots=True)
class StoredRecommendations:
    """What a retrain writes: per customer (``customers`` ``(C,)``) their ``top_n`` candidates
    ``products`` ``(C, n)`` (-1 padding), their ``scores`` (relative to the customer's best, in (0, 1])
    and the ``reasons`` (index into :data:`REASONS`)."""

    customers: IntArray
    products: IntArray
    scores: FloatArray
    reasons: npt.NDArray[np.int8]

    def dense(self, customers: IntArray, n_products: int) -> FloatArray:
        """``(B, N)`` stored scores of ``customers`` (0 where nothing is stored)."""
        row_of = {int(c): i for i, c in enumerate(self.customers)}
        out = np.zeros((len(customers), n_products), dtype=np.float32)
        for b, c in enumerate(customers):
            i = row_of.get(int(c))
            if i is None:
                continue
            valid = self.products[i] >= 0
            out[b, self.products[i][valid]] = self.scores[i][valid]
        return out


def stored_recommendations(model: CustomerModel, customers: IntArray, top_n: int) -> StoredRecommendations:
    """The model's ``top_n`` candidates of each customer with their score (the softmax share over the
    customer's candidates, over that of their best: 1 at the top) and reason."""
    customers = np.asarray(customers, dtype=np.int64)
    cand, logits = model.candidate_scores(customers)
    finite = np.isfinite(logits)
    shifted = np.where(
        finite, logits - np.max(np.where(finite, logits, -np.inf), axis=1, keepdims=True), -np.inf
    )
    weights = np.exp(shifted, where=finite, out=np.zeros_like(shifted))
    # relative to the customer's best candidate: one scale for every customer, 1 at the top
    probs = weights / np.maximum(weights.max(axis=1, keepdims=True), 1e-30)
    n = min(top_n, cand.shape[1])
    order = np.argsort(-np.where(finite, logits, -np.inf), axis=1, kind="stable")[:, :n]
    products = np.take_along_axis(cand, order, axis=1)
    scores = np.take_along_axis(probs, order, axis=1).astype(np.float32)
    products[~np.take_along_axis(finite, order, axis=1)] = -1
    scores[products < 0] = 0.0
    return StoredRecommendations(customers, products, scores, _reasons(model, customers, products))


def _reasons(model: CustomerModel, customers: IntArray, products: IntArray) -> npt.NDArray[np.int8]:
    """The strongest source of each stored product: bought before, else the nearest customers (TIFU's
    neighbour part), else co-purchase with the history, else trending."""
    signals = model.signals
    out = np.full(products.shape, REASONS.index(Reason.TRENDING), dtype=np.int8)
    safe = np.where(products >= 0, products, 0)
    rows = np.arange(len(customers))[:, None]
    for start in range(0, len(customers), 512):
        block = slice(start, start + 512)
        sources = signals.sources(customers[block])
        p = safe[block]
        r = rows[: len(p)]
        bought = np.asarray(signals.counts[customers[block]].toarray())[r, p] > 0
        similar = sources["tifu"][r, p] > 0
        assoc = sources["association"][r, p] > 0
        code = np.where(
            bought,
            REASONS.index(Reason.REPEAT),
            np.where(
                similar,
                REASONS.index(Reason.SIMILAR_CUSTOMERS),
                np.where(assoc, REASONS.index(Reason.COMPLEMENTS), REASONS.index(Reason.TRENDING)),
            ),
        )
        out[block] = code.astype(np.int8)
    out[products < 0] = -1
    return out


def purchase_share(
    baskets: BasketArrays, n_customers: int, ref_s: float, half_life_days: float
) -> sp.csr_matrix:
    """``(C, N)`` each customer's time-decayed purchase count of each product over their largest."""
    decayed = personal_matrix(baskets, n_customers, ref_s, half_life_days).tocsr()
    row_max = np.asarray(decayed.max(axis=1).toarray()).ravel()
    share: sp.csr_matrix = (sp.diags(1.0 / np.maximum(row_max, 1e-300)) @ decayed).tocsr()
    return share


@dataclass(frozen=True, slots=True)
class BasketEvidence:
    """What the API reads about a basket, for a block of basket-completion rows: each row's basket
    product ``q`` ``(B,)``, the item model's complement lists ``(N, L)`` and calibrated scores of every
    product, and the observed co-purchase edges (:class:`~training.cobought.CoBought`; None: the
    ``BOUGHT_WITH`` terms are 0)."""

    q: IntArray
    lists: IntArray
    scores: FloatArray
    cobought: CoBought | None = None

    def rows(self, sl: slice) -> BasketEvidence:
        return replace(self, q=self.q[sl])


def _basket_terms(evidence: BasketEvidence, n: int) -> dict[str, npt.NDArray[np.float64]]:
    """``(B, N)`` dense basket terms of :func:`graph_schema.recommended.served_score` per row."""
    q, lists, scores = evidence.q, evidence.lists, evidence.scores
    b = np.zeros((len(q), n))
    rows = np.repeat(np.arange(len(q)), lists.shape[1])
    targets = lists[q].ravel()
    valid = targets >= 0
    b[rows[valid], targets[valid]] = scores[q].ravel()[valid]
    out = {"basket": b}
    if evidence.cobought is not None:
        co = evidence.cobought
        out["cobought"] = np.asarray(co.count_share[q].toarray(), dtype=np.float64)
        out["confidence"] = np.asarray(co.confidence[q].toarray(), dtype=np.float64)
        out["lift"] = np.asarray(co.lift_share[q].toarray(), dtype=np.float64)
    return out


def served_lists(
    stored: StoredRecommendations,
    share: sp.csr_matrix,
    customers: IntArray,
    weights: ServingWeights,
    k: int,
    basket: BasketEvidence | None = None,
) -> IntArray:
    """``(B, k)`` what the API answers each customer (:func:`graph_schema.recommended.served_score`).

    ``basket``: per row, the basket product ``q`` and what the API reads about it; ``q`` itself is
    never returned.
    """
    customers = np.asarray(customers, dtype=np.int64)
    n = share.shape[1]
    out = np.full((len(customers), k), -1, dtype=np.int64)
    for start in range(0, len(customers), 512):
        block = customers[start : start + 512]
        s = stored.dense(block, n).astype(np.float64)
        live = np.asarray(share[np.clip(block, 0, share.shape[0] - 1)].toarray(), dtype=np.float64)
        live[block < 0] = 0.0
        repeat = weights.repeat if basket is None else weights.basket_repeat
        total = s + repeat * live
        candidate = (s > 0) | (live > 0)
        if basket is not None:
            evidence = basket.rows(slice(start, start + 512))
            for name, term in _basket_terms(evidence, n).items():
                w = float(getattr(weights, name))
                if w != 0.0:  # a term's products are candidates only where it counts
                    total += w * term
                    candidate |= term > 0
            candidate[np.arange(len(block)), evidence.q] = False
        scale = 10.0**SCORE_DECIMALS  # as served_score rounds
        total = np.where(candidate, np.rint(total * scale) / scale, -np.inf)
        width = min(k, n)
        # ties go to the smaller product index (catalogue order, by id), as the API breaks them by id
        top = np.argsort(-total, axis=1, kind="stable")[:, :width]
        top[~np.isfinite(np.take_along_axis(total, top, axis=1))] = -1
        out[start : start + len(block), :width] = top
    return out


def _best(grid: tuple[float, ...], values: dict[str, float]) -> float:
    """The grid point with the best value (to 6 decimals), ties to the smaller weight."""
    return max(grid, key=lambda w: (round(values[f"{w:g}"], 6), -w))


def _with(weights: ServingWeights, point: dict[str, float]) -> ServingWeights:
    return ServingWeights.from_dict({**weights.as_dict(), **point})


def choose_serving_weights(
    stored: StoredRecommendations,
    share: sp.csr_matrix,
    next_basket: NextBasketQueries,
    completion: CompletionQueries | None,
    basket: BasketEvidence | None,
    base: ServingWeights,
    k: int = 10,
) -> tuple[ServingWeights, dict[str, dict[str, float]]]:
    """The repeat weight that ranks the validation next baskets best (a grid, ties to the smaller
    weight), then the basket-mode weights (:data:`BASKET_WEIGHTS`) that rank the validation basket
    completions best, by coordinate ascent from the repeat weight and ``base``'s other weights."""
    values: dict[str, dict[str, float]] = {"repeat": {}, "basket": {}}
    for w in REPEAT_GRID:
        lists = served_lists(stored, share, next_basket.customers, replace(base, repeat=w), k)
        values["repeat"][f"{w:g}"] = next_basket_criterion(next_basket, lists)
    repeat = _best(REPEAT_GRID, values["repeat"])
    chosen = replace(base, repeat=repeat, basket_repeat=repeat)
    if completion is None or basket is None:
        return chosen, values
    names = BASKET_WEIGHTS if basket.cobought is not None else ("basket_repeat", "basket")

    def criterion(point: dict[str, float]) -> float:
        lists = served_lists(stored, share, completion.customer, _with(chosen, point), k, basket=basket)
        return completion_criterion(completion, lists)

    start = {name: float(getattr(chosen, name)) for name in names}
    best, values["basket"] = coordinate_ascent(start, {name: WEIGHT_GRID for name in names}, criterion, 2)
    return _with(chosen, best), values


@dataclass(slots=True)
class ServedEvaluation:
    """Test rows of the customer model as served, per seed, on both protocols; the weights chosen on
    validation and the validation values behind the choice."""

    next_basket: dict[str, dict[str, float | int]]
    completion: dict[str, dict[str, float | int]]
    lists: dict[str, dict[str, IntArray]]
    weights: ServingWeights
    validation: dict[str, dict[str, float]]


def evaluate_served(
    snapshot: CatalogueSnapshot,
    split: TimeSplit,
    seeds: tuple[int, ...],
    item_lists: tuple[IntArray, FloatArray] | None,
    val_item_lists: tuple[IntArray, FloatArray] | None,
    k: int = 10,
    min_support: int = 10,
) -> ServedEvaluation:
    """The customer model as the API serves it (:func:`served_lists`), on ``split``'s test period.

    The query-time weights are chosen on the validation period with a model fitted before it (the
    first seed), ``val_item_lists``, an item model trained before the validation period (without
    one, the basket weights keep their defaults) and the co-purchase edges of the fit period's baskets
    (``min_support``: the observe pass's threshold, ``settings.min_support_baskets``); each seed then
    fits on the whole train window, and the edges are those of the train window.
    """
    data = make_split(snapshot, split)
    everything = BasketArrays.from_baskets(snapshot.baskets, snapshot.index)
    n_cust = int(everything.customers.max(initial=-1)) + 1
    val_s, end_s = split.val_start.timestamp(), split.train_end.timestamp()
    base = SEARCH_START
    val_nb = next_basket_queries(data.fit, data.val)
    val_cq = completion_queries(data.fit, data.val, data.warm_fit)
    val_model = fit_customer_model(data.fit, n_cust, val_s, retrain_customer_params(seeds[0]))
    wanted = np.unique(np.r_[val_nb.customers, val_cq.customer])
    weights, values = choose_serving_weights(
        stored_recommendations(val_model, wanted, base.top_n),
        purchase_share(data.fit, n_cust, val_s, base.half_life_days),
        val_nb,
        val_cq,
        None if val_item_lists is None else _evidence(val_cq, val_item_lists, data.fit, min_support),
        base,
        k,
    )
    test_nb = next_basket_queries(data.train, data.test)
    test_cq = completion_queries(data.train, data.test, data.warm_train)
    share = purchase_share(data.train, n_cust, end_s, weights.half_life_days)
    out = ServedEvaluation({}, {}, {"next_basket": {}, "completion": {}}, weights, values)
    basket = None if item_lists is None else _evidence(test_cq, item_lists, data.train, min_support)
    for seed in seeds:
        model = fit_customer_model(data.train, n_cust, end_s, retrain_customer_params(seed))
        stored = stored_recommendations(
            model, np.unique(np.r_[test_nb.customers, test_cq.customer]), weights.top_n
        )
        name = f"customer model as served (seed {seed})"
        nb = served_lists(stored, share, test_nb.customers, weights, k)
        out.lists["next_basket"][name] = nb
        out.next_basket[name] = evaluate_next_basket(test_nb, nb).as_dict()
        if basket is not None:
            cl = served_lists(stored, share, test_cq.customer, weights, k, basket=basket)
            out.lists["completion"][name] = cl
            hits = completion_hits(test_cq, cl)
            out.completion[name] = RankingMetrics.from_hits(hits, test_cq.pairs.n_targets).as_dict()
    return out


def _evidence(
    queries: CompletionQueries,
    item_lists: tuple[IntArray, FloatArray],
    baskets: BasketArrays,
    min_support: int,
) -> BasketEvidence:
    return BasketEvidence(
        queries.pairs.q, item_lists[0], item_lists[1], cobought_matrices(baskets, min_support)
    )
