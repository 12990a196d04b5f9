"""Model versions: candidate → active → retired, with write-back, gated activation, rollback, prune.

A version's ``ASSOCIATED`` edges are written while it is a candidate, invisible to readers (they
follow only the active version's id). Activation flips the statuses in one transaction, so a
reader sees either the old model or the new one, never half of each.

Listing, activation and rollback are written once, as plans: generators that yield each statement
to run (a :class:`Call`) and are sent its records. :func:`run_plan` runs a plan on a sync driver (the
CLI and the workers, through :func:`activate`, :func:`rollback`...); :func:`run_plan_async` runs it
through the API's async driver, inside a request's time budget (``service/model_versions.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, LiteralString, TypeVar

import neo4j

import cypher
from affinity.errors import AffinityError
from affinity.settings import Settings
from graph_schema.model import AssociationKind


@dataclass(frozen=True)
class Statement:
    """A named statement from ``cypher/``, bound at import: the name labels it, the text runs."""

    name: str
    text: LiteralString

    @classmethod
    def named(cls, name: str) -> Statement:
        return cls(name, cypher.query(name))


@dataclass(frozen=True)
class Call:
    """One statement a plan runs, with its parameters; ``write`` routes it to the writer (the leader of
    a cluster), where it also sees what the plan's earlier calls wrote."""

    statement: Statement
    params: dict[str, Any] = field(default_factory=dict)
    write: bool = False


T = TypeVar("T")

#: A store operation as the statements it runs: it yields each :class:`Call`, is sent that call's
#: records, and returns its result.
Plan = Generator[Call, list[neo4j.Record], T]


CREATE = cypher.query("model_versions.create")
SET_METRICS = cypher.query("model_versions.set_metrics")
CLEAR_EDGES = cypher.query("associations.clear_learned")
WRITE_EDGES = cypher.query("associations.write_learned")
CLEAR_RECOMMENDED = cypher.query("recommendations.clear_recommended")
WRITE_RECOMMENDED = cypher.query("recommendations.write_recommended")
COUNT_EDGES = Statement.named("associations.count_learned")
ACTIVATE = Statement.named("model_versions.activate")
PREVIOUS = Statement.named("model_versions.previous")
LIST = Statement.named("model_versions.list")
MARK = cypher.query("model_versions.mark")
PRUNABLE = cypher.query("model_versions.prunable")
WARM_UP_IDS = cypher.query("model_versions.warm_up_ids")

#: The version id the warm-up writes under: no ModelVersion has it, so no reader follows it.
WARM_UP_VERSION = "__warm-up__"

#: The metric that decides whether a new version may replace the active one.
GATE_METRIC = "ndcg"

Progress = Callable[[int, int], None]


class VersionError(AffinityError):
    """An unknown version, or an activation the gate refused."""


@dataclass(frozen=True)
class VersionInfo:
    id: str
    status: str
    created_at: str
    activated_at: str | None
    metrics: dict[str, Any]
    params: dict[str, Any]
    edges: int


def _number(value: Any) -> str:
    return f"{float(value):.4f}" if isinstance(value, int | float) else "missing"


def _json(value: str | None) -> dict[str, Any]:
    loaded = json.loads(value) if value else {}
    return loaded if isinstance(loaded, dict) else {}


def create_candidate(
    driver: neo4j.Driver, database: str, version: str, params: dict[str, Any], data_window: str, job_id: str
) -> None:
    driver.execute_query(
        CREATE,
        id=version,
        params=json.dumps(params, sort_keys=True),
        data_window=data_window,
        job_id=job_id,
        database_=database,
    )


def set_metrics(driver: neo4j.Driver, database: str, version: str, metrics: dict[str, Any]) -> None:
    driver.execute_query(
        SET_METRICS, id=version, metrics=json.dumps(metrics, sort_keys=True), database_=database
    )


@dataclass(frozen=True)
class Pacing:
    """How a bulk write or delete shares Neo4j with the API's reads: transactions of ``batch_size``
    rows, each followed by a pause ``pause_ratio`` times as long as it took (docs/reliability.md,
    "Reads during the write-back")."""

    batch_size: int = 1000
    pause_ratio: float = 0.0
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def of(cls, settings: Settings) -> Pacing:
        """The write-back's pacing (``write_batch_size``, ``write_pause_ratio``)."""
        return cls(settings.write_batch_size, settings.write_pause_ratio)

    def run(self, transaction: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = transaction()
        if self.pause_ratio > 0:
            self.sleep(self.pause_ratio * (time.perf_counter() - started))
        return result


def clear_edges(driver: neo4j.Driver, database: str, version: str, pacing: Pacing = Pacing()) -> int:
    """Remove a version's learned associations and customer recommendations, ``pacing.batch_size``
    a transaction; returns how many were removed."""
    removed = 0
    for statement in (CLEAR_EDGES, CLEAR_RECOMMENDED):

        def delete_batch(statement: LiteralString = statement) -> int:
            records = driver.execute_query(
                statement, version=version, batch=pacing.batch_size, database_=database
            ).records
            return int(records[0]["deleted"])

        while (deleted := pacing.run(delete_batch)) > 0:
            removed += deleted
            if deleted < pacing.batch_size:
                break
    return removed


def write_edges(
    driver: neo4j.Driver,
    database: str,
    version: str,
    rows: Iterable[dict[str, Any]],
    batch_size: int,
    total: int,
    progress: Progress | None = None,
    recommended: Iterable[dict[str, Any]] = (),
    pause_ratio: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, int]:
    """Write ``rows`` ({source, target, score, rank, kind}: ``ASSOCIATED``) and ``recommended``
    ({customer, product, score, rank, reason}: ``RECOMMENDED``) for ``version``, one transaction a
    batch; returns how many of each were written.

    The version's old edges are removed first (paced alike), so a re-run after a crash ends with
    exactly the new set. After each batch the writer pauses ``pause_ratio`` times as long as the
    batch took: Neo4j shares its cores with the API's reads, and a write-back that never yields makes
    them queue (docs/reliability.md, "Reads during the write-back").
    """
    pacing = Pacing(batch_size, pause_ratio, sleep)
    clear_edges(driver, database, version, pacing)
    written = 0
    batch: list[dict[str, Any]] = []

    def flush(statement: LiteralString) -> None:
        nonlocal written
        pacing.run(lambda: driver.execute_query(statement, rows=batch, version=version, database_=database))
        written += len(batch)
        batch.clear()
        if progress is not None:
            progress(written, total)

    counts = []
    for statement, source in ((WRITE_EDGES, rows), (WRITE_RECOMMENDED, recommended)):
        before = written
        for row in source:
            batch.append(row)
            if len(batch) >= batch_size:
                flush(statement)
        if batch:
            flush(statement)
        counts.append(written - before)
    return counts[0], counts[1]


def warm_up_writes(driver: neo4j.Driver, database: str, rows: int = 20_000) -> int:
    """Run the write-back's statements on ``rows`` scratch edges of each kind, then remove them.

    The first write-back after Neo4j starts otherwise pays for the JVM compiling its code paths, and
    for the read paths that compilation deoptimises, while the API is serving: hundreds of methods
    compiled a second and reads seconds late (docs/reliability.md, "Reads during the write-back").
    Run before serving (``affinity db start``), the compilation happens while nobody waits. Returns
    how many edges were written (0 on an empty graph)."""
    record = driver.execute_query(WARM_UP_IDS, n=1000, database_=database).records[0]
    products, customers = list(record["products"]), list(record["customers"])
    if len(products) < 2:
        return 0
    edges = (
        {
            "source": products[i % len(products)],
            "target": products[(i * 7 + 1) % len(products)],
            "score": 0.0,
            "raw_score": 0.0,
            "rank": i % 50,
            "kind": str(AssociationKind.COMPLEMENT),
        }
        for i in range(rows)
    )
    recommended = (
        {
            "customer": customers[i % len(customers)],
            "product": products[(i * 3) % len(products)],
            "score": 0.0,
            "rank": i % 30,
            "reason": "warm-up",
        }
        for i in range(rows if customers else 0)
    )
    written = write_edges(driver, database, WARM_UP_VERSION, edges, 1000, 2 * rows, recommended=recommended)
    clear_edges(driver, database, WARM_UP_VERSION)
    return sum(written)


def run_plan(driver: neo4j.Driver, database: str, plan: Plan[T]) -> T:
    """Run ``plan`` on a sync driver: each call in its own auto-commit transaction."""
    try:
        call = next(plan)
        while True:
            records = driver.execute_query(
                call.statement.text,
                call.params,
                database_=database,
                routing_=neo4j.RoutingControl.WRITE if call.write else neo4j.RoutingControl.READ,
            ).records
            call = plan.send(records)
    except StopIteration as done:
        result: T = done.value
        return result


async def run_plan_async(execute: Callable[[Call], Awaitable[list[neo4j.Record]]], plan: Plan[T]) -> T:
    """Run ``plan`` with ``execute`` awaiting each call's records (the API's async driver, say)."""
    try:
        call = next(plan)
        while True:
            call = plan.send(await execute(call))
    except StopIteration as done:
        result: T = done.value
        return result


def count_edges_plan(version: str) -> Plan[int]:
    records = yield Call(COUNT_EDGES, {"version": version}, write=True)
    return int(records[0]["edges"])


def count_edges(driver: neo4j.Driver, database: str, version: str) -> int:
    return run_plan(driver, database, count_edges_plan(version))


def list_versions_plan(status: str | None = None, first: int | None = None) -> Plan[list[VersionInfo]]:
    """Versions newest first, optionally only those with ``status``, at most ``first`` of them."""
    records = yield Call(LIST, {"ids": None, "status": status, "first": first})
    return [
        VersionInfo(
            id=r["id"],
            status=r["status"],
            created_at=str(r["created_at"]),
            activated_at=str(r["activated_at"]) if r["activated_at"] is not None else None,
            metrics=_json(r["metrics"]),
            params=_json(r["params"]),
            edges=r["edges"],
        )
        for r in records
    ]


def list_versions(driver: neo4j.Driver, database: str) -> list[VersionInfo]:
    return run_plan(driver, database, list_versions_plan())


def active_plan() -> Plan[VersionInfo | None]:
    found = yield from list_versions_plan(status="active", first=1)
    return found[0] if found else None


def active(driver: neo4j.Driver, database: str) -> VersionInfo | None:
    return run_plan(driver, database, active_plan())


def gate_comparison(
    candidate: dict[str, Any], current: dict[str, Any] | None, current_id: str | None = None
) -> tuple[float | None, float | None, str]:
    """``(candidate score, active score, where measured)`` on the gate metric (overall).

    When the candidate's retrain scored the version that is active now on its held-out window
    (``metrics.gate.comparison``: the days the active version's weights never saw), those two numbers
    decide: same days, same statistics, neither fitted on them.
    Otherwise (no held-out window, or another version active since) each version's headline number
    is used, which may come from different windows.
    """
    gate = candidate.get("gate") or {}
    comparison = gate.get("comparison")
    if current_id is not None and gate.get("active_version") == current_id and comparison:
        window = comparison.get("window") or {}
        where = f"the held-out window {str(window.get('start'))[:10]} .. {str(window.get('end'))[:10]}"
        new = comparison["candidate"].get("overall", {}).get(GATE_METRIC)
        old = comparison["active"].get("overall", {}).get(GATE_METRIC)
        return new, old, where
    new = candidate.get("overall", {}).get(GATE_METRIC)
    old = (current or {}).get("overall", {}).get(GATE_METRIC)
    return new, old, "each version's own evaluation window"


def gate_allows(
    candidate: dict[str, Any], current: dict[str, Any] | None, current_id: str | None = None
) -> bool:
    """A new version must not score worse than the active one on the gate metric (overall)."""
    if not current and current_id is None:
        return True
    new, old, _ = gate_comparison(candidate, current, current_id)
    if old is None:
        return True
    return new is not None and float(new) >= float(old)


def activate_plan(version: str, force: bool = False) -> Plan[str | None]:
    """Make ``version`` the active one in one transaction; return the version it replaced."""
    known = {v.id: v for v in (yield from list_versions_plan())}
    if version not in known:
        raise VersionError(f"unknown model version {version!r}")
    target = known[version]
    if target.status == "active":
        return None
    if target.edges == 0:
        raise VersionError(f"model version {version!r} has no learned edges; refusing to activate it")
    current = next((v for v in known.values() if v.status == "active"), None)
    if current is not None and not force and not gate_allows(target.metrics, current.metrics, current.id):
        new, old, where = gate_comparison(target.metrics, current.metrics, current.id)
        raise VersionError(
            f"model version {version!r} scores worse than the active {current.id} on {where}: "
            f"{GATE_METRIC.upper()}@10 {_number(new)} < {_number(old)}; use --force to activate it anyway"
        )
    records = yield Call(ACTIVATE, {"id": version}, write=True)
    if not records:
        raise VersionError(f"model version {version!r} failed and cannot be activated")
    previous = records[0]["previous"]
    return str(previous) if previous is not None else None


def activate(driver: neo4j.Driver, database: str, version: str, force: bool = False) -> str | None:
    """Make ``version`` the active one in one transaction; return the version it replaced."""
    return run_plan(driver, database, activate_plan(version, force))


def rollback_plan() -> Plan[str]:
    """Re-activate the version that was active before the current one; return its id."""
    records = yield Call(PREVIOUS, write=True)
    if not records:
        raise VersionError("no earlier model version to roll back to")
    previous = str(records[0]["id"])
    if (yield from count_edges_plan(previous)) == 0:
        raise VersionError(f"model version {previous!r} was pruned; nothing to roll back to")
    yield Call(ACTIVATE, {"id": previous}, write=True)
    return previous


def rollback(driver: neo4j.Driver, database: str) -> str:
    """Re-activate the version that was active before the current one; return its id."""
    return run_plan(driver, database, rollback_plan())


def mark(driver: neo4j.Driver, database: str, version: str, status: str, reason: str = "") -> None:
    driver.execute_query(MARK, id=version, status=status, reason=reason, database_=database)


def prune(driver: neo4j.Driver, database: str, keep: int, pacing: Pacing = Pacing()) -> Sequence[str]:
    """Delete the edges of all but the ``keep`` newest inactive versions, in batches; mark them pruned."""
    ids = [r["id"] for r in driver.execute_query(PRUNABLE, keep=keep, database_=database).records]
    for version in ids:
        clear_edges(driver, database, version, pacing)
        mark(driver, database, version, "pruned", f"pruned keeping the {keep} newest inactive versions")
    return ids
