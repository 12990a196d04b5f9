"""Jobs: progress and state, kept as ``(:Job)`` nodes so the API, the CLI and analysts all read the
same record. Creating a job takes its kind's lock: at most one exclusive job (a retrain) is queued or
running at a time. Submitting the work for a job is :mod:`stores.dispatch`.

A job's ``updated_at`` doubles as its heartbeat: a queued or running job silent for longer than
``job_stale_after_s`` is taken for dead (its worker was killed) and stops blocking new submissions.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import neo4j

import cypher
from affinity.errors import AffinityError
from affinity.settings import Settings

CREATE = cypher.query("jobs.create")
UPDATE = cypher.query("jobs.update")
FINISH = cypher.query("jobs.finish")
STEP_DONE = cypher.query("jobs.record_step")
GET = cypher.query("jobs.by_ids")
LIST = cypher.query("jobs.list")
REQUEST_CANCEL = cypher.query("jobs.request_cancel")
SUMMARY = cypher.query("jobs.summary")


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


JOB_STATES = tuple(state.value for state in JobState)


class JobConflictError(AffinityError):
    """A job of the same kind is already queued or running."""


class JobCancelled(AffinityError):
    """Someone asked the job to stop (:func:`request_cancel`); raised at its next progress report."""


@dataclass(frozen=True)
class JobInfo:
    id: str
    kind: str
    state: str
    step: str
    done: int
    total: int
    error: str | None
    model_version: str | None
    options: dict[str, Any]
    timings: dict[str, float]
    result: dict[str, Any]
    created_at: str
    updated_at: str
    finished_at: str | None
    cancel_requested: bool = False
    request_id: str | None = None

    @classmethod
    def from_record(cls, job: dict[str, Any]) -> JobInfo:
        return cls(
            id=job["id"],
            kind=job["kind"],
            state=job["state"],
            step=job.get("step") or "",
            done=int(job.get("done") or 0),
            total=int(job.get("total") or 0),
            error=job.get("error"),
            model_version=job.get("model_version"),
            options=json.loads(job.get("options") or "{}"),
            timings=json.loads(job.get("timings") or "{}"),
            result=json.loads(job.get("result") or "{}"),
            created_at=job["created_at"],
            updated_at=job["updated_at"],
            finished_at=job.get("finished_at"),
            cancel_requested=bool(job.get("cancel_requested")),
            request_id=job.get("request_id"),
        )


def create_job(
    driver: neo4j.Driver,
    settings: Settings,
    kind: str,
    options: dict[str, Any],
    exclusive: bool,
    request_id: str | None = None,
) -> str:
    """Register a job; ``request_id``: the API request that asked for it (kept on the job, logged and
    traced with its steps)."""
    job_id = uuid.uuid4().hex[:12]
    records = driver.execute_query(
        CREATE,
        id=job_id,
        kind=kind,
        request_id=request_id,
        options=json.dumps(options, sort_keys=True),
        exclusive=exclusive,
        stale_after_s=settings.job_stale_after_s,
        database_=settings.neo4j_database,
    ).records
    busy = records[0]["busy_id"]
    if busy is not None:
        raise JobConflictError(f"a {kind} job is already queued or running ({busy}); wait for it or watch it")
    return job_id


def update(
    driver: neo4j.Driver, database: str, job_id: str, step: str, done: int, total: int, state: str = "running"
) -> bool:
    """Record progress; True when the job has been asked to stop."""
    records = driver.execute_query(
        UPDATE, id=job_id, step=step, done=done, total=total, state=state, database_=database
    ).records
    return bool(records and records[0]["cancel_requested"])


def report_progress(
    driver: neo4j.Driver, database: str, job_id: str, step: str, done: int, total: int
) -> None:
    """Record a running job's progress in ``step``; raises :class:`JobCancelled` when the job has been
    asked to stop, so every long job honours a cancellation at the same place."""
    if update(driver, database, job_id, step, done, total):
        raise JobCancelled(f"cancelled by request in step {step}")


def request_cancel(driver: neo4j.Driver, database: str, job_id: str) -> str:
    """Ask a queued or running job to stop; returns its state. ``AffinityError`` for an unknown job
    or one that has already ended."""
    records = driver.execute_query(REQUEST_CANCEL, id=job_id, database_=database).records
    if not records:
        raise AffinityError(f"unknown job {job_id!r}")
    state = str(records[0]["state"])
    if state not in (JobState.queued, JobState.running):
        raise AffinityError(f"job {job_id} has already {state}; nothing to cancel")
    return state


def record_step(
    driver: neo4j.Driver, database: str, job_id: str, timings: dict[str, float], results: dict[str, Any]
) -> None:
    """Keep each finished step's seconds and result on the job."""
    driver.execute_query(
        STEP_DONE,
        id=job_id,
        timings=json.dumps(timings),
        result=json.dumps(results, sort_keys=True, default=str),
        database_=database,
    )


def finish(
    driver: neo4j.Driver,
    database: str,
    job_id: str,
    state: str,
    error: str | None = None,
    model_version: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    driver.execute_query(
        FINISH,
        id=job_id,
        state=state,
        error=error,
        model_version=model_version,
        result=json.dumps(result or {}, sort_keys=True, default=str),
        database_=database,
    )


def get(driver: neo4j.Driver, database: str, job_id: str) -> JobInfo | None:
    records = driver.execute_query(
        GET, ids=[job_id], database_=database, routing_=neo4j.RoutingControl.READ
    ).records
    return JobInfo.from_record(records[0]["job"]) if records else None


def list_jobs(
    driver: neo4j.Driver, database: str, state: str | None = None, limit: int = 50
) -> list[JobInfo]:
    if state is not None and state not in JOB_STATES:
        raise AffinityError(f"unknown job state {state!r}; expected one of {', '.join(JOB_STATES)}")
    records = driver.execute_query(
        LIST, state=state, first=limit, database_=database, routing_=neo4j.RoutingControl.READ
    ).records
    return [JobInfo.from_record(r["job"]) for r in records]


@dataclass(frozen=True)
class JobSummary:
    """What an operator alerts on: jobs by (kind, state), the active version, the last retrains."""

    job_counts: dict[tuple[str, str], int]
    active_version: str | None
    activated_at: float | None  # epoch seconds
    last_retrain_succeeded: float | None
    last_retrain_failed: float | None


def summary(driver: neo4j.Driver, database: str) -> JobSummary:
    record = driver.execute_query(SUMMARY, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    return JobSummary(
        job_counts={(c["kind"], c["state"]): int(c["jobs"]) for c in record["job_counts"]},
        active_version=record["active_version"],
        activated_at=record["activated_at"],
        last_retrain_succeeded=record["last_succeeded"],
        last_retrain_failed=record["last_failed"],
    )
