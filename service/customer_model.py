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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph_schema.recommended import Reason, ServingWeights, served_score
from service.query_runner import Graph, statement

__all__ = ["CustomerModelList", "ScoredItem", "customer_model_list", "explanation"]

CUSTOMER_MODEL = statement("recommendations.customer_model")
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


@dataclass(frozen=True, slots=True)
class _Candidate:
    stored: float
    stored_reason: Reason | None
    share: float
    basket: float
    basket_via: str | None
    basket_title: str | None
    times: list[float]


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


async def customer_model_list(
    graph: Graph, customer_id: str, basket: list[str], exclude_purchased: bool, limit: int
) -> CustomerModelList | None:
    """The customer model's list for ``customer_id`` (and ``basket``), best first, without what they
    bought when ``exclude_purchased``; None when the active version has no customer model."""
    (row,) = await graph.read(CUSTOMER_MODEL, customer_id=customer_id, basket=basket)
    weights = _weights(row["metrics"])
    if row["version"] is None or weights is None:
        return None
    history = {h["id"]: [float(t) for t in h["times"]] for h in row["history"]}
    share = _share(list(row["history"]), weights.half_life_days)
    stored = {s["id"]: (float(s["score"]), Reason(s["reason"])) for s in row["stored"]}
    best_basket: dict[str, Mapping[str, Any]] = {}
    for c in row["complements"]:
        if c["id"] not in best_basket or c["score"] > best_basket[c["id"]]["score"]:
            best_basket[c["id"]] = c
    candidates: dict[str, _Candidate] = {}
    exclude = set(basket) | (set(history) if exclude_purchased else set())
    for pid in {*stored, *share, *best_basket} - exclude:
        s, why = stored.get(pid, (0.0, None))
        b = best_basket.get(pid)
        candidates[pid] = _Candidate(
            stored=s,
            stored_reason=why,
            share=share.get(pid, 0.0),
            basket=float(b["score"]) if b else 0.0,
            basket_via=b["via"] if b else None,
            basket_title=b["via_title"] if b else None,
            times=history.get(pid, []),
        )
    scored = sorted(
        ((served_score(c.stored, c.share, c.basket, weights), pid) for pid, c in candidates.items()),
        key=lambda pair: (-pair[0], pair[1]),
    )[:limit]
    products = {r["id"]: r for r in await graph.read(ITEMS, ids=[pid for _, pid in scored])}
    now_s = float(row["latest"]) if row["latest"] is not None else 0.0
    items = []
    for score, pid in scored:
        if pid not in products:
            continue  # deleted since the retrain
        c = candidates[pid]
        if c.times:
            reason = Reason.REPEAT
        elif weights.basket * c.basket > c.stored or c.stored_reason is None:
            reason = Reason.COMPLEMENTS if c.basket > 0 else Reason.TRENDING
        else:
            reason = c.stored_reason
        via = c.basket_title if reason is Reason.COMPLEMENTS and c.basket > 0 else None
        items.append(
            ScoredItem(
                row=products[pid],
                score=score,
                reason=reason,
                explanation=explanation(reason, c.times, now_s, via),
                because=[c.basket_via] if via and c.basket_via else [],
            )
        )
    return CustomerModelList(str(row["version"]), bool(row["found"]), len(stored), len(history), items)
