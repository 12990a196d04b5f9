"""What a retrain keeps of the customer model (:func:`fit_customer_model_for_retrain`): the model of
:func:`~training.customer_serving.retrain_customer_params` over every customer, scored first on the
retrain's held-out window as the API would answer (beside buy-again), and each customer's stored
recommendations for the write step (:class:`CustomerRetrain`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph_schema.recommended import ServingWeights
from training.customer_baselines import BuyAgain, personal_matrix
from training.customer_protocols import evaluate_next_basket, next_basket_queries
from training.customer_ranker import (
    CustomerModel,
    CustomerModelParams,
    NotEnoughHistoryError,
    fit_customer_model,
    rebase_customer_model,
)
from training.customer_serving import (
    REASONS,
    StoredRecommendations,
    purchase_share,
    retrain_customer_params,
    served_lists,
    stored_recommendations,
)
from training.interactions import BasketArrays, item_counts
from training.snapshot import CatalogueSnapshot
from training.split import TimeSplit

__all__ = ["CustomerRetrain", "fit_customer_model_for_retrain"]


@dataclass(slots=True)
class CustomerRetrain:
    """What a retrain keeps of the customer model: each customer's stored recommendations (by id) and
    the held-out numbers."""

    customer_ids: list[str]
    product_ids: list[str]
    stored: StoredRecommendations
    report: dict[str, Any]

    @property
    def customers(self) -> int:
        return len(self.customer_ids)

    @property
    def recommendations(self) -> int:
        return int((self.stored.products >= 0).sum())

    def columns(self) -> dict[str, npt.NDArray[np.generic]]:
        """One row per stored recommendation: customer and product ids, score, rank (from 1), reason."""
        rows, cols = np.nonzero(self.stored.products >= 0)
        return {
            "customer": np.asarray(self.customer_ids, dtype=str)[self.stored.customers[rows]],
            "product": np.asarray(self.product_ids, dtype=str)[self.stored.products[rows, cols]],
            "score": self.stored.scores[rows, cols],
            "rank": (cols + 1).astype(np.int32),
            "reason": np.asarray([r.value for r in REASONS], dtype=str)[self.stored.reasons[rows, cols]],
        }


def fit_customer_model_for_retrain(
    snapshot: CatalogueSnapshot, split: TimeSplit | None, seed: int, weights: ServingWeights | None = None
) -> CustomerRetrain:
    """The customer model of a retrain, over every customer of ``snapshot``.

    With a held-out window (``split.test_end``, the item model's gate window) the model is fitted on
    the baskets before it and scored there as the API would answer, beside buy-again; its ranker then
    scores every customer from the signals of every basket (:func:`rebase_customer_model`).
    """
    weights = weights or ServingWeights()
    everything = BasketArrays.from_baskets(snapshot.baskets, snapshot.index)
    ids = list(dict.fromkeys(b.customer_id for b in snapshot.baskets if b.customer_id is not None))
    params = retrain_customer_params(seed=seed, half_life_days=weights.half_life_days)
    report: dict[str, Any] = {"weights": weights.as_dict(), "params": asdict(params)}
    empty = StoredRecommendations(
        np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0), dtype=np.float32),
        np.zeros((0, 0), dtype=np.int8),
    )  # fmt: skip
    if not ids:
        report["skipped"] = "no order has a customer"
        return CustomerRetrain(ids, snapshot.product_ids, empty, report)
    n_cust = len(ids)
    end_s = snapshot.time_range()[1].timestamp() + 1.0
    try:
        model = _fit_and_score(everything, n_cust, end_s, split, params, weights, report)
    except NotEnoughHistoryError as error:  # a new shop: the item model still ships
        report["skipped"] = f"no customer model: {error}"
        return CustomerRetrain(ids, snapshot.product_ids, empty, report)
    stored = stored_recommendations(model, np.arange(n_cust), weights.top_n)
    return CustomerRetrain(ids, snapshot.product_ids, stored, report)


def _fit_and_score(
    everything: BasketArrays,
    n_cust: int,
    end_s: float,
    split: TimeSplit | None,
    params: CustomerModelParams,
    weights: ServingWeights,
    report: dict[str, Any],
) -> CustomerModel:
    """The customer model over every basket, scored first on the held-out window when there is one
    (into ``report["held_out"]``)."""
    if split is not None and split.test_end is not None:
        cut = split.train_end.timestamp()
        before, held = everything.window(None, cut), everything.window(cut, None)
        model = fit_customer_model(before, n_cust, cut, params)
        queries = next_basket_queries(before, held)
        if len(queries):
            stored = stored_recommendations(model, queries.customers, weights.top_n)
            share = purchase_share(before, n_cust, cut, weights.half_life_days)
            served = served_lists(stored, share, queries.customers, weights, 10)
            decayed = personal_matrix(before, n_cust, cut, weights.half_life_days)
            again = BuyAgain(decayed, item_counts(before), "buy-again").top_k(queries.customers, 10)
            report["held_out"] = {
                "window": [split.train_end.isoformat(), split.test_end.isoformat()],
                "customer model": evaluate_next_basket(queries, served).as_dict(),
                "buy-again": evaluate_next_basket(queries, again).as_dict(),
            }
        return rebase_customer_model(model, everything, n_cust, end_s)
    return fit_customer_model(everything, n_cust, end_s, params)
