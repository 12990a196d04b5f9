"""Model versions: candidate → active → retired, with write-back, gated activation, rollback, prune.

A version's ``ASSOCIATED`` edges are written while it is a candidate, invisible to readers (they
follow only the active version's id). Activation flips the statuses in one transaction, so a
reader sees either the old model or the new one, never half of each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import neo4j

import cypher
from affinity.errors import AffinityError

CREATE = cypher.query("model_versions.create")
SET_METRICS = cypher.query("model_versions.set_metrics")
CLEAR_EDGES = cypher.query("associations.clear_learned")
WRITE_EDGES = cypher.query("associations.write_learned")
COUNT_EDGES = cypher.query("associations.count_learned")
ACTIVATE = cypher.query("model_versions.activate")
PREVIOUS = cypher.query("model_versions.previous")
LIST = cypher.query("model_versions.list")
MARK = cypher.query("model_versions.mark")
PRUNABLE = cypher.query("model_versions.prunable")

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


def clear_edges(driver: neo4j.Driver, database: str, version: str) -> None:
    # CALL ... IN TRANSACTIONS runs only in an auto-commit transaction.
    with driver.session(database=database) as session:
        session.run(CLEAR_EDGES, version=version).consume()


def write_edges(
    driver: neo4j.Driver,
    database: str,
    version: str,
    rows: Iterable[dict[str, Any]],
    batch_size: int,
    total: int,
    progress: Progress | None = None,
) -> int:
    """Write ``rows`` ({source, target, score, rank, kind}) for ``version``, one transaction a batch.

    The version's old edges are removed first, so a re-run after a crash ends with exactly the new set.
    """
    clear_edges(driver, database, version)
    written = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal written
        driver.execute_query(WRITE_EDGES, rows=batch, version=version, database_=database)
        written += len(batch)
        batch.clear()
        if progress is not None:
            progress(written, total)

    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return written


def count_edges(driver: neo4j.Driver, database: str, version: str) -> int:
    records = driver.execute_query(COUNT_EDGES, version=version, database_=database).records
    return int(records[0]["edges"])


def active(driver: neo4j.Driver, database: str) -> VersionInfo | None:
    for info in list_versions(driver, database):
        if info.status == "active":
            return info
    return None


def list_versions(driver: neo4j.Driver, database: str) -> list[VersionInfo]:
    records = driver.execute_query(
        LIST, ids=None, status=None, first=None, database_=database, routing_=neo4j.RoutingControl.READ
    ).records
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


def gate_allows(candidate: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """A new version must not score worse than the active one on the gate metric (overall)."""
    if not current:
        return True
    new = candidate.get("overall", {}).get(GATE_METRIC)
    old = current.get("overall", {}).get(GATE_METRIC)
    if old is None:
        return True
    return new is not None and float(new) >= float(old)


def activate(driver: neo4j.Driver, database: str, version: str, force: bool = False) -> str | None:
    """Make ``version`` the active one in one transaction; return the version it replaced."""
    known = {v.id: v for v in list_versions(driver, database)}
    if version not in known:
        raise VersionError(f"unknown model version {version!r}")
    target = known[version]
    if target.status == "active":
        return None
    if target.edges == 0:
        raise VersionError(f"model version {version!r} has no learned edges; refusing to activate it")
    current = next((v for v in known.values() if v.status == "active"), None)
    if not force and not gate_allows(target.metrics, current.metrics if current else None):
        raise VersionError(
            f"model version {version!r} scores worse than the active {current.id if current else '-'} "
            f"on {GATE_METRIC}; use --force to activate it anyway"
        )
    records = driver.execute_query(ACTIVATE, id=version, database_=database).records
    if not records:
        raise VersionError(f"model version {version!r} failed and cannot be activated")
    previous = records[0]["previous"]
    return str(previous) if previous is not None else None


def rollback(driver: neo4j.Driver, database: str) -> str:
    """Re-activate the version that was active before the current one; return its id."""
    records = driver.execute_query(PREVIOUS, database_=database).records
    if not records:
        raise VersionError("no earlier model version to roll back to")
    previous = str(records[0]["id"])
    if count_edges(driver, database, previous) == 0:
        raise VersionError(f"model version {previous!r} was pruned; nothing to roll back to")
    driver.execute_query(ACTIVATE, id=previous, database_=database)
    return previous


def mark(driver: neo4j.Driver, database: str, version: str, status: str, reason: str = "") -> None:
    driver.execute_query(MARK, id=version, status=status, reason=reason, database_=database)


def prune(driver: neo4j.Driver, database: str, keep: int) -> Sequence[str]:
    """Delete the edges of all but the ``keep`` newest inactive versions, in batches; mark them pruned."""
    ids = [r["id"] for r in driver.execute_query(PRUNABLE, keep=keep, database_=database).records]
    for version in ids:
        clear_edges(driver, database, version)
        mark(driver, database, version, "pruned", f"pruned keeping the {keep} newest inactive versions")
    return ids
