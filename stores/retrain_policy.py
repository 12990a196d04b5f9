"""When Affinity retrains on its own: the policy in settings, decided from what the graph holds.

The scheduler (``affinity scheduler``, Celery beat) asks every ``scheduler_check_interval_s`` and a
worker answers with :func:`consider_retrain`. Every input of the decision is in Neo4j (orders, past
jobs), so a restarted scheduler decides exactly as the one before it, and two schedulers at once
still start one retrain: the job lock (``stores.jobs.create_job``) lets only one be queued or running.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import neo4j

import cypher
from affinity.db import session_driver
from affinity.settings import Settings
from stores import dispatch
from stores.jobs import JobConflictError

__all__ = ["Decision", "RetrainPolicy", "RetrainState", "consider_retrain", "decide", "read_state"]

log = logging.getLogger(__name__)

STATE = cypher.query("jobs.retrain_policy_state")


@dataclass(frozen=True)
class RetrainPolicy:
    """Retrain when the last success is ``every_s`` old, or after ``after_new_orders`` new orders
    (0: that condition is off); after a failure, wait ``retry_failed_after_s`` before trying again."""

    every_s: float
    after_new_orders: int
    retry_failed_after_s: float

    @classmethod
    def of(cls, settings: Settings) -> RetrainPolicy:
        return cls(
            settings.retrain_every_s, settings.retrain_after_new_orders, settings.retrain_retry_failed_after_s
        )

    @property
    def enabled(self) -> bool:
        return self.every_s > 0 or self.after_new_orders > 0


@dataclass(frozen=True)
class RetrainState:
    orders: int
    last_succeeded: float | None  # epoch seconds
    orders_at_last: int | None  # orders when the last successful retrain started
    last_failed: float | None

    @property
    def new_orders(self) -> int:
        return max(0, self.orders - (self.orders_at_last or 0))


@dataclass(frozen=True)
class Decision:
    start: bool
    reason: str
    job_id: str | None = None


def _age(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds:.0f} s"


def decide(policy: RetrainPolicy, state: RetrainState, now: float) -> Decision:
    """Whether a retrain is due now, and why (or why not), in words for the log."""
    if not policy.enabled:
        return Decision(
            False, "no retrain policy set (AFFINITY_RETRAIN_EVERY_S, AFFINITY_RETRAIN_AFTER_NEW_ORDERS)"
        )
    failed_last = state.last_failed is not None and (
        state.last_succeeded is None or state.last_failed > state.last_succeeded
    )
    if (
        failed_last
        and state.last_failed is not None
        and now - state.last_failed < policy.retry_failed_after_s
    ):
        return Decision(
            False,
            f"the last retrain failed {_age(now - state.last_failed)} ago; the next try waits "
            f"{_age(policy.retry_failed_after_s)} after a failure",
        )
    due: list[str] = []
    waiting: list[str] = []
    if policy.every_s > 0:
        if state.last_succeeded is None:
            due.append("no retrain has succeeded yet")
        elif (age := now - state.last_succeeded) >= policy.every_s:
            due.append(
                f"the last successful retrain is {_age(age)} old (policy: every {_age(policy.every_s)})"
            )
        else:
            waiting.append(f"the last successful retrain is {_age(age)} old of {_age(policy.every_s)}")
    if policy.after_new_orders > 0:
        counted = f"{state.new_orders} new orders since the last successful retrain"
        if state.new_orders >= policy.after_new_orders:
            due.append(f"{counted} (policy: after {policy.after_new_orders})")
        else:
            waiting.append(f"{counted} of {policy.after_new_orders}")
    if due:
        return Decision(True, "; ".join(due))
    return Decision(False, "not due: " + "; ".join(waiting))


def read_state(driver: neo4j.Driver, database: str) -> RetrainState:
    record = driver.execute_query(STATE, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    return RetrainState(
        orders=int(record["orders"]),
        last_succeeded=record["last_succeeded"],
        orders_at_last=record["orders_at_last"],
        last_failed=record["last_failed"],
    )


def consider_retrain(settings: Settings, now: float | None = None) -> Decision:
    """Decide, and submit the retrain when it is due; the decision is logged either way."""
    with session_driver(settings) as driver:
        state = read_state(driver, settings.neo4j_database)
    decision = decide(RetrainPolicy.of(settings), state, time.time() if now is None else now)
    if decision.start:
        try:
            decision = Decision(True, decision.reason, dispatch.submit_retrain(settings, {}))
        except JobConflictError as busy:
            decision = Decision(False, f"due ({decision.reason}), but {busy}")
    log.info(
        "scheduler: %s retrain: %s",
        f"started {decision.job_id}" if decision.start else "no",
        decision.reason,
        extra={"retrain_started": decision.start, "job_id": decision.job_id, "reason": decision.reason},
    )
    return decision
