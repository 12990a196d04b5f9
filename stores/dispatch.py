"""Submitting background work: register the job, then send its Celery task by NAME.

The API and the CLI submit through here without importing a task module (nor torch): the client is
a plain ``celery.Celery`` that only sends, configured from settings (the broker, and routes to
``queue_io`` and ``queue_gpu``). The workers register the names (:mod:`workers.tasks`).

A retrain is one message, :data:`RETRAIN_TASK`; the worker that takes it enqueues the pipeline's
canvas for the job (:mod:`workers.pipeline`), so the order of the steps is known in one place.
Celery is imported on first use: an API process without the ``workers`` extra serves reads and
refuses submissions with an ``ImportError``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from affinity.db import session_driver
from affinity.errors import AffinityError
from affinity.settings import Settings
from stores.jobs import create_job, finish

if TYPE_CHECKING:
    from celery import Celery

__all__ = [
    "RECOUNT_TASK",
    "REFRESH_TASK",
    "RETRAIN_TASK",
    "BrokerUnavailableError",
    "celery_client",
    "ensure_broker",
    "redact_url",
    "sending_config",
    "submit_co_purchase_recount",
    "submit_product_refresh",
    "submit_retrain",
]

#: The task that enqueues a retrain's pipeline for a job id (:mod:`workers.tasks.retrain`).
RETRAIN_TASK = "affinity.io.retrain"
#: Embedding and associations for new or edited products (:mod:`workers.tasks.refresh`).
REFRESH_TASK = "affinity.gpu.refresh_products"
#: The observe pass: recount the co-purchase edges from orders (:mod:`workers.tasks.recount`).
RECOUNT_TASK = "affinity.io.recount_co_purchases"


class BrokerUnavailableError(AffinityError):
    """The Celery broker cannot be reached."""


def sending_config(settings: Settings) -> dict[str, Any]:
    """What a sender and the workers agree on: serialisation and which queue a task name goes to."""
    return _sending_config(settings.queue_io, settings.queue_gpu)


def _sending_config(queue_io: str, queue_gpu: str) -> dict[str, Any]:
    return {
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "broker_transport_options": {"visibility_timeout": 3600},
        "task_default_queue": queue_io,
        "task_routes": {
            "affinity.gpu.*": {"queue": queue_gpu},
            "affinity.io.*": {"queue": queue_io},
        },
    }


def celery_client(settings: Settings) -> Celery:
    """A Celery app that only sends tasks by name; one per broker and queue names, reused."""
    return _client(settings.broker_url, settings.queue_io, settings.queue_gpu)


@lru_cache(maxsize=8)
def _client(broker_url: str, queue_io: str, queue_gpu: str) -> Celery:
    from celery import Celery

    # Not the process's current app: a worker process's own app stays the default for its canvases.
    client = Celery("affinity", broker=broker_url, set_as_current=False)
    client.conf.update(_sending_config(queue_io, queue_gpu))
    return client


def redact_url(url: str) -> str:
    """``redis://:secret@host/0`` -> ``redis://***@host/0``: broker URLs may carry a password."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def ensure_broker(celery: Celery, broker_url: str) -> None:
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:
        raise BrokerUnavailableError(
            f"the Celery broker at {redact_url(broker_url)} is not reachable ({type(error).__name__}); "
            "start it with `affinity broker start` or set AFFINITY_BROKER_URL"
        ) from None


def submit_retrain(settings: Settings, options: dict[str, Any], request_id: str | None = None) -> str:
    """Register a retrain job and enqueue its pipeline; return the job id. ``request_id``: the API
    request that asked for it."""
    celery = celery_client(settings)
    ensure_broker(celery, settings.broker_url)
    with session_driver(settings) as driver:
        job_id = create_job(driver, settings, "retrain", options, exclusive=True, request_id=request_id)
        try:
            celery.send_task(RETRAIN_TASK, args=(job_id,))
        except Exception as error:
            finish(driver, settings.neo4j_database, job_id, "failed", error=f"enqueue failed: {error}")
            raise BrokerUnavailableError(f"could not enqueue the retrain pipeline: {error}") from None
    return job_id


def submit_product_refresh(settings: Settings, product_ids: list[str], request_id: str | None = None) -> str:
    """Enqueue embedding and associations for new or edited products (no full retrain)."""
    celery = celery_client(settings)
    ensure_broker(celery, settings.broker_url)
    with session_driver(settings) as driver:
        job_id = create_job(
            driver, settings, "refresh", {"product_ids": product_ids}, exclusive=False, request_id=request_id
        )
    celery.send_task(REFRESH_TASK, args=(job_id, product_ids))
    return job_id


def submit_co_purchase_recount(settings: Settings, reason: str, request_id: str | None = None) -> str:
    """Enqueue a recount of the co-purchase edges (after orders were erased); return the job id."""
    celery = celery_client(settings)
    ensure_broker(celery, settings.broker_url)
    with session_driver(settings) as driver:
        job_id = create_job(
            driver, settings, "recount", {"reason": reason}, exclusive=False, request_id=request_id
        )
    celery.send_task(RECOUNT_TASK, args=(job_id,))
    return job_id
