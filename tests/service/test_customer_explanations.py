"""The sentences a shopper reads beside a customer-model recommendation (no database needed)."""

from __future__ import annotations

from graph_schema.recommended import Reason
from service.customer_model import explanation

DAY = 86_400.0


def test_a_repeat_purchase_says_its_rhythm_and_when_it_was_last_ordered() -> None:
    times = [0.0, 21 * DAY, 42 * DAY]  # every three weeks
    assert (
        explanation(Reason.REPEAT, times, 67 * DAY, None)
        == "you order this about every 3 weeks; last ordered 25 days ago"
    )
    assert explanation(Reason.REPEAT, [0.0, 4 * DAY], 5 * DAY, None) == (
        "you order this about every 4 days; last ordered 1 day ago"
    )
    assert explanation(Reason.REPEAT, [10 * DAY], 10 * DAY + 3600, None) == "you ordered this today"


def test_the_other_reasons() -> None:
    assert explanation(Reason.COMPLEMENTS, [], 0.0, "RED MUG") == "goes with RED MUG in your basket"
    assert explanation(Reason.COMPLEMENTS, [], 0.0, None) == "goes with what you usually buy"
    assert (
        explanation(Reason.SIMILAR_CUSTOMERS, [], 0.0, None) == "customers who buy like you also order this"
    )
    assert explanation(Reason.TRENDING, [], 0.0, None) == "popular with customers right now"
