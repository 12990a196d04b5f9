"""The retrain policy's decision, from the state the graph holds (no database needed)."""

from __future__ import annotations

import pytest

from stores.retrain_policy import RetrainPolicy, RetrainState, decide

NOW = 1_000_000.0
HOUR = 3600.0


def state(
    orders: int = 100, succeeded: float | None = None, at_last: int | None = None, failed: float | None = None
) -> RetrainState:
    return RetrainState(orders=orders, last_succeeded=succeeded, orders_at_last=at_last, last_failed=failed)


def test_no_policy_starts_nothing() -> None:
    decision = decide(RetrainPolicy(0, 0, HOUR), state(), NOW)
    assert not decision.start and "no retrain policy set" in decision.reason


@pytest.mark.parametrize(
    ("succeeded", "due"), [(None, True), (NOW - 25 * HOUR, True), (NOW - 23 * HOUR, False)]
)
def test_by_age(succeeded: float | None, due: bool) -> None:
    decision = decide(RetrainPolicy(24 * HOUR, 0, HOUR), state(succeeded=succeeded, at_last=100), NOW)
    assert decision.start is due, decision.reason


@pytest.mark.parametrize(("orders", "due"), [(149, False), (150, True), (90, False)])
def test_by_new_orders_since_the_last_success(orders: int, due: bool) -> None:
    decision = decide(RetrainPolicy(0, 50, HOUR), state(orders, succeeded=NOW - HOUR, at_last=100), NOW)
    assert decision.start is due, decision.reason
    assert f"{max(0, orders - 100)} new orders" in decision.reason


def test_a_recent_failure_holds_the_next_try_back() -> None:
    policy = RetrainPolicy(0, 1, HOUR)
    recently = state(orders=500, succeeded=NOW - 5 * HOUR, at_last=100, failed=NOW - 600)
    held = decide(policy, recently, NOW)
    assert not held.start and "failed 600 s ago" in held.reason
    assert decide(policy, recently, NOW + HOUR).start  # an hour after the failure it tries again
    # a failure older than the last success does not count
    assert decide(policy, state(500, succeeded=NOW - 60, at_last=100, failed=NOW - 120), NOW).start


def test_either_condition_is_enough_and_both_are_named() -> None:
    decision = decide(RetrainPolicy(HOUR, 10, HOUR), state(200, succeeded=NOW - 2 * HOUR, at_last=100), NOW)
    assert decision.start and "2.0 h old" in decision.reason and "100 new orders" in decision.reason
