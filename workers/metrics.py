"""A worker's metrics for Prometheus, served by its main process on ``AFFINITY_WORKER_METRICS_PORT``
(0: not served). ``affinity worker`` sets up multiprocess mode first, so the pool processes that run
the tasks are summed into one scrape (affinity/prometheus.py).

Counted where the tasks run:

- ``affinity_worker_tasks_total{task,outcome}``: task runs by how they ended (succeeded, failed,
  retried). A retrain's steps are tasks named ``affinity.<queue>.<step>``.
- ``affinity_worker_task_seconds{task}``: how long each run took; for a step task, the step's time.
- ``affinity_scheduler_decisions_total{decision}``: the scheduler's checks, started or not_started.

Read from Redis and Neo4j at each scrape (every worker reports the same values; alert on ``max``):

- ``affinity_queue_messages{queue}``: messages waiting in each queue
- ``affinity_jobs{kind,state}``: jobs by kind and state
- ``affinity_active_model_version{version}``: 1 for the active version;
  ``affinity_active_model_activated_timestamp_seconds``
- ``affinity_last_successful_retrain_timestamp_seconds``, ``affinity_seconds_since_last_successful_retrain``,
  ``affinity_last_failed_retrain_timestamp_seconds``
- ``affinity_metrics_source_up{source}``: 0 when a scrape could not read Neo4j or Redis
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import neo4j
import redis
from celery.signals import task_postrun, task_prerun, worker_init
from prometheus_client import Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from affinity.db import connect
from affinity.prometheus import scrape_registry
from affinity.settings import Settings, get_settings
from stores import jobs

__all__ = ["TASKS", "TASK_SECONDS", "StateCollector", "serve_metrics"]

log = logging.getLogger(__name__)

_BUCKETS = (0.05, 0.25, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
TASKS = Counter("affinity_worker_tasks", "Task runs by how they ended", ["task", "outcome"])
RETRAIN_DECISIONS = Counter(
    "affinity_scheduler_decisions", "The scheduler's checks by outcome (started, not_started)", ["decision"]
)
TASK_SECONDS = Histogram("affinity_worker_task_seconds", "Task run time", ["task"], buckets=_BUCKETS)

# Celery's end states, as the outcomes counted
_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id: str, **_: Any) -> None:
    _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_ended(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    TASKS.labels(name, _OUTCOMES.get(state or "", "other")).inc()
    if started is not None:
        TASK_SECONDS.labels(name).observe(time.monotonic() - started)


class StateCollector:
    """Queue depths from the broker and job and version state from Neo4j, read when scraped.

    A source that cannot be read leaves its metrics out and reports ``affinity_metrics_source_up`` 0
    rather than failing the whole scrape (the task counters still come through)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._driver: neo4j.Driver | None = None
        self._lock = threading.Lock()

    def _neo4j(self) -> neo4j.Driver:
        with self._lock:
            if self._driver is None:
                self._driver = connect(self._settings)
            return self._driver

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "affinity_metrics_source_up", "Whether this scrape read the source", labels=["source"]
        )
        queues = self._queue_metrics()
        up.add_metric(["redis"], 0.0 if queues is None else 1.0)
        if queues is not None:
            yield queues
        state = self._job_metrics()
        up.add_metric(["neo4j"], 0.0 if state is None else 1.0)
        yield from state or ()
        yield up

    def _queue_metrics(self) -> Metric | None:
        settings = self._settings
        if not settings.broker_url.startswith(("redis://", "rediss://")):
            return None
        gauge = GaugeMetricFamily("affinity_queue_messages", "Messages waiting in a queue", labels=["queue"])
        try:
            client = redis.Redis.from_url(settings.broker_url, socket_timeout=2, socket_connect_timeout=2)
            with client:
                for queue in (settings.queue_gpu, settings.queue_io):
                    gauge.add_metric([queue], float(client.llen(queue)))
        except redis.RedisError as error:
            log.warning("metrics: could not read the queues: %s", error)
            return None
        return gauge

    def _job_metrics(self) -> list[Metric] | None:
        try:
            summary = jobs.summary(self._neo4j(), self._settings.neo4j_database)
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as error:
            log.warning("metrics: could not read the jobs: %s", error)
            return None
        counts = GaugeMetricFamily("affinity_jobs", "Jobs by kind and state", labels=["kind", "state"])
        for (kind, state), n in sorted(summary.job_counts.items()):
            counts.add_metric([kind, state], float(n))
        active = GaugeMetricFamily(
            "affinity_active_model_version", "1 for the model version the API serves", labels=["version"]
        )
        metrics: list[Metric] = [counts, active]
        if summary.active_version is not None:
            active.add_metric([summary.active_version], 1.0)
        timestamps = (
            ("affinity_active_model_activated_timestamp_seconds", "When the active version was activated",
             summary.activated_at),
            ("affinity_last_successful_retrain_timestamp_seconds", "When the last retrain succeeded",
             summary.last_retrain_succeeded),
            ("affinity_last_failed_retrain_timestamp_seconds", "When the last retrain failed",
             summary.last_retrain_failed),
        )  # fmt: skip
        for name, text, value in timestamps:
            if value is not None:
                metrics.append(GaugeMetricFamily(name, text, value=value))
        if summary.last_retrain_succeeded is not None:
            metrics.append(
                GaugeMetricFamily(
                    "affinity_seconds_since_last_successful_retrain",
                    "Age of the last successful retrain",
                    value=max(0.0, time.time() - summary.last_retrain_succeeded),
                )
            )
        return metrics


def serve_metrics(settings: Settings) -> None:
    """Serve this worker's metrics on ``settings.worker_metrics_port`` from a background thread."""
    registry = scrape_registry(extra=[StateCollector(settings)])
    start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host, registry=registry)
    log.info(
        "worker metrics on http://%s:%d/metrics", settings.worker_metrics_host, settings.worker_metrics_port
    )


@worker_init.connect
def _serve_when_configured(**_: Any) -> None:
    settings = get_settings()
    if settings.worker_metrics_port:
        serve_metrics(settings)
