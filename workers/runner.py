"""Runs one pipeline step for a job: progress, timing and failure bookkeeping around a plain function.

The step functions (``workers.steps``) hold the logic and are tested directly; this module is what
makes them safe to run as tasks: it records the step on the job, times it, and on a permanent error
records the reason before re-raising (the chain's error callback then marks the job failed).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors
from opentelemetry import trace

from affinity.db import connect
from affinity.errors import DatabaseUnavailableError
from affinity.settings import Environment, Settings, get_settings
from affinity.tracing import REQUEST_ID
from stores import jobs, versions

log = logging.getLogger(__name__)

#: Errors worth retrying with backoff: the database or broker is briefly away. A retry that finds
#: Neo4j still restarting fails to connect (DatabaseUnavailableError): retried too, or a Neo4j crash
#: mid-step would fail the job although the server comes back (tests/system/test_crash_drills.py).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    neo4j_errors.ServiceUnavailable,
    neo4j_errors.SessionExpired,
    neo4j_errors.TransientError,
    ConnectionError,
    DatabaseUnavailableError,
)
#: How a task retries :data:`TRANSIENT_ERRORS` (Celery's task options): 8 retries, the backoff 2 s
#: doubling to at most 60 s, jittered, so up to about four minutes: longer than a Neo4j restart with
#: its recovery.
RETRY_OPTIONS: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


#: How long ``test_pause_at_step`` holds a step (tests only: they kill the worker meanwhile).
TEST_PAUSE_S = 300.0


def version_of(job_id: str) -> str:
    return f"v-{job_id}"


def artefact_dir(settings: Settings, version: str) -> Path:
    """Where a version's artefacts (snapshot, embeddings, checkpoint, metrics) live."""
    return settings.model_dir / version


@dataclass
class StepContext:
    """What a step gets: settings, a driver, the job, its artefact folder and a progress reporter."""

    settings: Settings
    driver: neo4j.Driver
    job_id: str
    step: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def database(self) -> str:
        return self.settings.neo4j_database

    @property
    def workdir(self) -> Path:
        path = artefact_dir(self.settings, self.version)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def version(self) -> str:
        """The model version this job produces: derived from the job id, so a re-run reuses it."""
        return version_of(self.job_id)

    def progress(self, done: int, total: int) -> None:
        """Report progress; raises :class:`~stores.jobs.JobCancelled` when the job was asked to stop."""
        jobs.report_progress(self.driver, self.database, self.job_id, self.step, done, total)

    def save_json(self, name: str, payload: Any) -> None:
        (self.workdir / name).write_text(json.dumps(payload, indent=2, sort_keys=True, default=str))

    def load_json(self, name: str) -> Any:
        return json.loads((self.workdir / name).read_text())


StepFunction = Callable[[StepContext], dict[str, Any] | None]


def run_step(step: str, job_id: str, function: StepFunction, last: bool = False) -> dict[str, Any]:
    settings = get_settings()
    driver = connect(settings, wait_s=10)
    try:
        job = jobs.get(driver, settings.neo4j_database, job_id)
        if job is None:
            raise LookupError(f"unknown job {job_id!r}")
        if job.state in ("failed", "succeeded"):
            # A redelivered message (its acknowledgement was lost, or its worker died and the job was
            # taken for dead): the job is settled. Raising would run the chain's error callback and
            # fail a job that succeeded, so the step does nothing instead (and so do those after it).
            log.warning("job %s is already %s; not running %s again", job_id, job.state, step)
            return {"skipped": f"job {job_id} is already {job.state}"}
        context = StepContext(settings, driver, job_id, step, options=job.options)
        # the task's span (when tracing): which job, and the API request that submitted it
        trace.get_current_span().set_attributes(
            {"affinity.job_id": job_id, "affinity.step": step, REQUEST_ID: job.request_id or ""}
        )
        started = time.perf_counter()
        try:
            context.progress(0, 0)  # also where a job cancelled between steps stops
            if settings.environment is Environment.test and settings.test_pause_at_step == step:
                log.warning("test hook: pausing job %s at the start of step %s", job_id, step)
                time.sleep(TEST_PAUSE_S)  # until the fault test kills this worker
            result = function(context) or {}
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            if isinstance(error, jobs.JobCancelled):
                reason = str(error)
                log.warning("job %s %s", job_id, reason)
            else:
                reason = f"{step}: {type(error).__name__}: {error}"
                log.exception("job %s failed in step %s", job_id, step)
            jobs.finish(driver, settings.neo4j_database, job_id, "failed", error=reason[:2000])
            versions.mark(driver, settings.neo4j_database, context.version, "failed", reason[:500])
            raise
        timings = {**job.timings, step: round(time.perf_counter() - started, 3)}
        results = {**job.result, step: result}
        jobs.record_step(driver, settings.neo4j_database, job_id, timings, results)
        if last:
            jobs.finish(
                driver,
                settings.neo4j_database,
                job_id,
                "succeeded",
                model_version=context.version,
                result=results,
            )
        return result
    finally:
        driver.close()


def mark_failed(job_id: str) -> None:
    """Error callback of the chain: the job failed (keep a reason a step already recorded)."""
    settings = get_settings()
    driver = connect(settings, wait_s=10)
    try:
        job = jobs.get(driver, settings.neo4j_database, job_id)
        if job is not None and job.state == "succeeded":
            return  # a late duplicate's failure never undoes a finished job
        if job is not None and job.state != "failed":
            jobs.finish(driver, settings.neo4j_database, job_id, "failed", error=job.error or "a step failed")
        versions.mark(driver, settings.neo4j_database, version_of(job_id), "failed", "pipeline failed")
    finally:
        driver.close()


def run_one_task_job(job_id: str, work: Callable[[neo4j.Driver, Settings], dict[str, Any]]) -> dict[str, Any]:
    """A job that is a single task (a product refresh, a co-purchase recount): it finishes with the
    work's result (its ``version``, if any, is the job's model version), or failed with the error.
    Transient errors are re-raised untouched, for the task's retries."""
    settings = get_settings()
    driver = connect(settings, wait_s=10)
    try:
        try:
            result = work(driver, settings)
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            jobs.finish(
                driver, settings.neo4j_database, job_id, "failed", error=f"{type(error).__name__}: {error}"
            )
            raise
        version = result.get("version")
        jobs.finish(
            driver,
            settings.neo4j_database,
            job_id,
            "succeeded",
            model_version=version if isinstance(version, str) else None,
            result=result,
        )
        return result
    finally:
        driver.close()
