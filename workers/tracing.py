"""Tracing in the workers (affinity/tracing.py), when ``AFFINITY_OTEL_ENDPOINT`` is set: each pool
process exports its own spans, and every task run is a span continuing the trace its message
carries (the API request that submitted the job, then each step that enqueued the next)."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init
from opentelemetry.instrumentation.celery import CeleryInstrumentor

from affinity.settings import get_settings
from affinity.tracing import configure_tracing


@worker_process_init.connect(weak=False)
def _trace_this_pool_process(**_: Any) -> None:
    # after the fork: the exporter's background thread must belong to the process that runs tasks
    if configure_tracing(get_settings(), "affinity-worker"):
        CeleryInstrumentor().instrument()  # type: ignore[no-untyped-call]
