"""Recommendations from the learned customer model (:mod:`graph_schema.recommended`): the active
version's ``RECOMMENDED`` edges of the customer, re-ranked at query time with their live purchase
history and the basket, each item with the reason a shopper reads.

One round trip gathers everything (``recommendations.customer_model``), a second one the chosen
products. :func:`customer_model_list` answers ``None`` when the active version has no customer model
(an older version), so the caller falls back to the traversal over association edges.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph_schema.recommended import Reason, ServingWeights, served_score
from service.filters import ProductRules
from service.query_runner import Graph, statement

__all__ = ["CustomerModelList", "ScoredItem", "customer_model_list", "customer_model_lists", "explanation"]

CUSTOMER_MODEL = statement("recommendations.customer_model")
CUSTOMER_MODEL_MANY = statement("recommendations.customer_model_many")
ITEMS = statement("recommendations.items")
DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class ScoredItem:
    """One product of the list: its score, the reason and the sentence a shopper reads."""

    row: Mapping[str, Any]  # the product (recommendations.items)
    score: float
    reason: Reason
    explanation: str
    because: list[str]


@dataclass(frozen=True, slots=True)
class CustomerModelList:
    version: str
    found: bool  # the customer exists
    stored: int  # how many stored recommendations they have in the version
    bought: int  # how many distinct products they bought
    items: list[ScoredItem]


#: The co-purchase terms of :func:`graph_schema.recommended.served_score` (the ``cobought`` rows); the
#: complement term ``basket`` comes from the ``complements`` rows
COBOUGHT_TERMS = ("cobought", "confidence", "lift")


@dataclass(frozen=True, slots=True)
class _Evidence:
    """The best value of one basket term for a candidate, and the basket product it came from."""

    value: float
    via: str
    via_title: str | None


@dataclass(frozen=True, slots=True)
class _Candidate:
    stored: float
    stored_reason: Reason | None
    share: float
    basket: dict[str, _Evidence]  # by term ("basket" and COBOUGHT_TERMS), only the terms with evidence
    times: list[float]

    def term(self, name: str) -> float:
        evidence = self.basket.get(name)
        return evidence.value if evidence else 0.0

    def basket_part(self, weights: ServingWeights) -> tuple[float, _Evidence | None]:
        """What the basket adds to the score, and the evidence that adds the most (the "goes with")."""
        weighted = [(float(getattr(weights, name)) * e.value, e) for name, e in self.basket.items()]
        if not weighted:
            return 0.0, None
        return sum(w for w, _ in weighted), max(weighted, key=lambda pair: pair[0])[1]


def _days(seconds: float) -> str:
    days = max(0, round(seconds / DAY_S))
    return "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"


def _every(days: float) -> str:
    if days >= 13.5:
        weeks = round(days / 7)
        return f"about every {weeks} weeks" if weeks > 1 else "about every week"
    whole = max(1, round(days))
    return "about every day" if whole == 1 else f"about every {whole} days"


def explanation(reason: Reason, times: list[float], now_s: float, via_title: str | None) -> str:
    """The sentence for one item: its purchase rhythm for a repeat, the basket product it goes with,
    or the source behind a stored recommendation."""
    if reason is Reason.REPEAT and times:
        last = max(times)
        if len(times) >= 2:
            interval = (last - min(times)) / (len(times) - 1) / DAY_S
            return f"you order this {_every(interval)}; last ordered {_days(now_s - last)}"
        return f"you ordered this {_days(now_s - last)}"
    if reason is Reason.COMPLEMENTS and via_title:
        return f"goes with {via_title} in your basket"
    if reason is Reason.COMPLEMENTS:
        return "goes with what you usually buy"
    if reason is Reason.SIMILAR_CUSTOMERS:
        return "customers who buy like you also order this"
    return "popular with customers right now"


def _weights(metrics: str | None) -> ServingWeights | None:
    """The version's query-time weights (None: the version has no customer model, or its retrain had
    too little history for one)."""
    try:
        data = json.loads(metrics or "{}")
    except json.JSONDecodeError:
        return None
    customers = data.get("customers", {}) if isinstance(data, dict) else {}
    if not isinstance(customers, dict) or customers.get("skipped"):  # fitted without a customer model
        return None
    weights = customers.get("weights")
    return ServingWeights.from_dict(weights) if isinstance(weights, dict) else None


def _basket_evidence(row: Mapping[str, Any], weights: ServingWeights) -> dict[str, dict[str, _Evidence]]:
    """Per product, the best value of each basket term over the basket's products; a term whose weight
    is 0 brings no candidates (as offline, :func:`training.customer_serving.served_lists`)."""
    found: dict[str, dict[str, _Evidence]] = {}
    sources = [("basket", c, float(c["score"])) for c in row["complements"]]
    for c in row["cobought"]:
        sources += [(name, c, float(c[name])) for name in COBOUGHT_TERMS]
    for name, source, value in sources:
        if float(getattr(weights, name)) == 0.0 or value <= 0.0:
            continue
        mine = found.setdefault(source["id"], {})
        if name not in mine or value > mine[name].value:
            mine[name] = _Evidence(value, source["via"], source["via_title"])
    return found


def _share(history: list[Mapping[str, Any]], half_life_days: float) -> dict[str, float]:
    """Each bought product's time-decayed order count over the customer's largest (reference time
    free: the newest order is the reference)."""
    if not history:
        return {}
    newest = max(max(h["times"]) for h in history)
    decayed = {
        h["id"]: sum(math.exp2(-(newest - t) / DAY_S / half_life_days) for t in h["times"]) for h in history
    }
    top = max(decayed.values())
    return {pid: value / top for pid, value in decayed.items()}


@dataclass(frozen=True, slots=True)
class _Ranked:
    """One customer's candidates, scored and ordered, before the products are read and filtered."""

    version: str
    found: bool
    stored: int
    bought: int
    weights: ServingWeights
    candidates: dict[str, _Candidate]
    order: list[tuple[float, str]]  # (score, product id), best first
    now_s: float


def _rank(row: Mapping[str, Any], basket: list[str], exclude_purchased: bool) -> _Ranked | None:
    """Score every candidate of one ``recommendations.customer_model`` row; None without a model."""
    weights = _weights(row["metrics"])
    if row["version"] is None or weights is None:
        return None
    history = {h["id"]: [float(t) for t in h["times"]] for h in row["history"]}
    share = _share(list(row["history"]), weights.half_life_days)
    stored = {s["id"]: (float(s["score"]), Reason(s["reason"])) for s in row["stored"]}
    evidence = _basket_evidence(row, weights)
    candidates: dict[str, _Candidate] = {}
    exclude = set(basket) | (set(history) if exclude_purchased else set())
    for pid in {*stored, *share, *evidence} - exclude:
        s, why = stored.get(pid, (0.0, None))
        candidates[pid] = _Candidate(s, why, share.get(pid, 0.0), evidence.get(pid, {}), history.get(pid, []))

    def score(c: _Candidate) -> float:
        return served_score(
            c.stored, c.share, c.term("basket"), weights, basket_given=bool(basket),
            cobought=c.term("cobought"), confidence=c.term("confidence"), lift=c.term("lift"),
        )  # fmt: skip

    order = sorted(((score(c), pid) for pid, c in candidates.items()), key=lambda pair: (-pair[0], pair[1]))
    now_s = float(row["latest"]) if row["latest"] is not None else 0.0
    return _Ranked(
        str(row["version"]), bool(row["found"]), len(stored), len(history), weights, candidates, order, now_s
    )


def _listed(ranked: _Ranked, passing: Sequence[Mapping[str, Any]]) -> CustomerModelList:
    """The list of ``ranked``'s candidates that passed the filter (``passing``, in ranked order)."""
    value_of = {pid: value for value, pid in ranked.order}
    items = []
    for product in passing:
        pid = product["id"]
        c = ranked.candidates[pid]
        added, strongest = c.basket_part(ranked.weights)
        if c.times:
            reason = Reason.REPEAT
        elif added > c.stored or c.stored_reason is None:
            reason = Reason.COMPLEMENTS if added > 0 else Reason.TRENDING
        else:
            reason = c.stored_reason
        via = strongest if reason is Reason.COMPLEMENTS and added > 0 else None
        items.append(
            ScoredItem(
                row=product,
                score=value_of[pid],
                reason=reason,
                explanation=explanation(reason, c.times, ranked.now_s, via.via_title if via else None),
                because=[via.via] if via else [],
            )
        )
    return CustomerModelList(ranked.version, ranked.found, ranked.stored, ranked.bought, items)


async def customer_model_list(
    graph: Graph,
    customer_id: str,
    basket: list[str],
    exclude_purchased: bool,
    limit: int,
    rules: ProductRules,
) -> CustomerModelList | None:
    """The customer model's list for ``customer_id`` (and ``basket``), best first, without what they
    bought when ``exclude_purchased`` and what ``rules`` leave out; None when the active version has
    no customer model."""
    (row,) = await graph.read(CUSTOMER_MODEL, customer_id=customer_id, basket=basket)
    ranked = _rank(row, basket, exclude_purchased)
    if ranked is None:
        return None
    # Every ranked candidate goes to the filter, so `limit` counts only products it lets through
    # (and products deleted since the retrain drop out here too).
    ids = [pid for _, pid in ranked.order]
    passing = await graph.read(ITEMS, ids=ids, filter=rules.parameter(), limit=limit)
    return _listed(ranked, passing)


async def customer_model_lists(
    graph: Graph, customer_ids: list[str], limit: int, rules: ProductRules
) -> dict[str, CustomerModelList] | None:
    """The customer model's lists for many customers (no basket, purchases kept) in two round trips
    however many customers: their candidates, then the union of their products through the filter.
    None when the active version has no customer model."""
    rows = await graph.read(CUSTOMER_MODEL_MANY, customer_ids=customer_ids)
    ranked = {row["customer_id"]: _rank(row, [], False) for row in rows}
    if not ranked or any(r is None for r in ranked.values()):
        return None
    known = {cid: r for cid, r in ranked.items() if r is not None}
    union = list(dict.fromkeys(pid for r in known.values() for _, pid in r.order))
    products = {
        p["id"]: p
        for p in await graph.read(ITEMS, ids=union, filter=rules.parameter(), limit=max(1, len(union)))
    }
    return {
        cid: _listed(r, [products[pid] for _, pid in r.order if pid in products][:limit])
        for cid, r in known.items()
    }
