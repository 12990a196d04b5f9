"""The Celery application. ``celery -A workers.app worker`` and ``affinity worker`` both load it.

GPU tasks are long and idempotent: ``acks_late`` with prefetch 1 means a worker killed mid-task
gives its task back to the queue instead of losing it.
"""

from __future__ import annotations

import math

from celery import Celery

from affinity.settings import Settings, get_settings
from stores.dispatch import sending_config
from workers.queues import Queue

CONSIDER_RETRAIN_TASK = "affinity.io.consider_retrain"


def result_backend_for(settings: Settings) -> str:
    if settings.result_backend:
        return settings.result_backend
    if settings.broker_url.startswith("sqla+"):
        return "db+" + settings.broker_url.removeprefix("sqla+")
    return settings.broker_url


def publish_retry_policy(tolerance_s: float, interval_max_s: float = 5.0) -> dict[str, float]:
    """Kombu's retry policy for sending a task: 1 s, 2 s, … then every ``interval_max_s``, for about
    ``tolerance_s`` in all."""
    ramp = sum(range(1, int(interval_max_s)))  # the growing intervals before the cap
    retries = int(interval_max_s) - 1 + max(0, math.ceil((tolerance_s - ramp) / interval_max_s))
    return {
        "max_retries": retries,
        "interval_start": 1.0,
        "interval_step": 1.0,
        "interval_max": interval_max_s,
    }


def create_celery(settings: Settings) -> Celery:
    celery = Celery("affinity", broker=settings.broker_url, backend=result_backend_for(settings))
    celery.conf.update(
        # Serialisation and routing by task name, as the senders (stores.dispatch) use them.
        **sending_config(settings),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        result_extended=True,
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
        # A worker whose broker goes away keeps trying to reconnect (Celery's default gives up after
        # 100 tries, about 45 minutes, and the worker exits); it resumes consuming when Redis is back.
        broker_connection_max_retries=None,
        # A step that ends while Redis is down keeps retrying to enqueue the next step (Celery's
        # default gives up after about a second, and the job would then hang until it goes stale).
        task_publish_retry_policy=publish_retry_policy(settings.broker_outage_tolerance_s),
        imports=[
            "workers.metrics",
            "workers.tracing",
            "workers.tasks.health",
            "workers.tasks.retrain",
            "workers.tasks.refresh",
            "workers.tasks.recount",
            "workers.tasks.schedule",
        ],
        # `affinity scheduler` (Celery beat) asks a worker whether a retrain is due; a check that
        # waited longer than one interval for a worker is dropped, not piled up.
        beat_schedule={
            "consider-retrain": {
                "task": CONSIDER_RETRAIN_TASK,
                "schedule": settings.scheduler_check_interval_s,
                "options": {"expires": settings.scheduler_check_interval_s},
            }
        },
    )
    return celery


app = create_celery(get_settings())

__all__ = ["Queue", "app", "create_celery"]
