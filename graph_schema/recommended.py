"""What a ``(:Customer)-[:RECOMMENDED]->(:Product)`` edge means, and how the API turns a customer's
edges, their live order history and a basket into one list.

A retrain writes, per customer, the customer model's ``top_n`` candidates (:mod:`training.customer_serving`):
``score`` is the model's softmax share over that customer's candidates relative to that of their best
candidate (in (0, 1], 1 at the top, so every customer's list is on one scale), ``rank`` its
position, ``reason`` the strongest source behind it (:class:`Reason`). At query time every candidate gets

.. math::

    s(p) = \\text{stored}(p) + w_r \\cdot \\text{share}(p) + w_b \\cdot \\text{basket}(p)
           + w_n \\cdot \\text{cobought}(p) + w_c \\cdot \\text{confidence}(p) + w_l \\cdot \\text{lift}(p)

where ``stored`` is the edge's score (0 for a product without an edge), ``share`` the customer's
time-decayed purchase count of ``p`` over that of their most bought product (read live from their
orders, so a new order counts at once; the ratio does not depend on the reference time), and the
basket terms (all 0 without a basket), each the best over the basket's products ``q``:

* ``basket``: the calibrated complement score ``q -> p`` (``ASSOCIATED`` of kind complement) under
  the active version;
* ``cobought``: the observed co-purchase edge ``(q)-[:BOUGHT_WITH]->(p)``'s ``baskets`` over the
  largest ``baskets`` of ``q``'s ``BOUGHT_WITH`` edges (in (0, 1]);
* ``confidence``: that edge's ``confidence`` (``baskets / n(q)``);
* ``lift``: that edge's ``lift`` over the largest ``lift`` of ``q``'s ``BOUGHT_WITH`` edges.

With a basket the repeat weight is ``w_r = basket_repeat`` instead of ``repeat``: what the customer
bought counts for more when it has to be weighed against the basket's co-purchases (chosen on
validation basket completion). Candidates are the written ones, every product the customer bought,
the basket's complements and its products' ``BOUGHT_WITH`` neighbours (each where its term's
weight is not 0); basket products are never returned. The weights are chosen on validation
(``docs/evaluation.md``, "Customers") and stored with the version; a version stored before a weight
existed reads its default here.

This is the one definition both the offline evaluation and the API use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

__all__ = ["SCORE_DECIMALS", "Reason", "ServingWeights", "served_score"]


class Reason(StrEnum):
    """The strongest source behind a recommendation."""

    REPEAT = "repeat"  # the customer bought it before
    SIMILAR_CUSTOMERS = "similar_customers"  # customers who buy like them do
    COMPLEMENTS = "complements"  # it goes with what they buy (or with the basket)
    TRENDING = "trending"  # popular now


@dataclass(frozen=True, slots=True)
class ServingWeights:
    """The query-time weights of :func:`served_score` and what a retrain writes per customer."""

    # chosen on validation (docs/evaluation.md, "Customers": the customer model as served)
    repeat: float = 0.0
    basket: float = 1.5
    basket_repeat: float = 0.75
    cobought: float = 0.25
    confidence: float = 0.5
    lift: float = 0.5
    top_n: int = 30
    #: half-life of the live purchase share, days (the customer model's own)
    half_life_days: float = 120.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServingWeights:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


#: Served scores are rounded to this many decimals: candidates equal in exact arithmetic (bought in the
#: same orders) stay equal whatever the order their terms were summed in, and ties go to the smaller
#: product id, in the API as in the offline evaluation.
SCORE_DECIMALS = 9


def served_score(
    stored: float,
    share: float,
    basket: float,
    weights: ServingWeights,
    *,
    basket_given: bool = False,
    cobought: float = 0.0,
    confidence: float = 0.0,
    lift: float = 0.0,
) -> float:
    """:math:`s(p)` of the module docstring for one candidate, rounded to :data:`SCORE_DECIMALS`;
    ``basket_given``: the query has a basket (the repeat weight is then ``basket_repeat``)."""
    scale = 10.0**SCORE_DECIMALS
    repeat = weights.basket_repeat if basket_given else weights.repeat
    total = (
        stored
        + repeat * share
        + weights.basket * basket
        + weights.cobought * cobought
        + weights.confidence * confidence
        + weights.lift * lift
    )
    return round(total * scale) / scale
