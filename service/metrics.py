"""Prometheus metrics, served at ``/metrics``.

- ``affinity_api_request_seconds{operation,type}``: GraphQL operation latency (histogram)
- ``affinity_api_requests_total{operation,outcome}``: operations by outcome (ok, error)
- ``affinity_api_errors_total{operation,code}``: errors by their ``extensions.code``
- ``affinity_api_neo4j_seconds{statement}``: time in Neo4j per named Cypher statement (histogram)
- ``affinity_api_http_requests_total{path,status}``: every HTTP request
- ``affinity_api_events_total{type,strategy}``: shop events recorded (``recordEvents``), by the
  strategy of the list they answer (``none`` without a ``recommendationId``)
- ``affinity_api_rate_limited_total``: operations refused by the per-key rate limit
- ``affinity_api_rate_limiter_unavailable_total``: rate-limit checks let through without Redis

Operation names come from clients, so they are sanitised and capped (:func:`operation_label`) to
keep label cardinality bounded. ``affinity serve`` runs prometheus-client in multiprocess mode, so
one scrape sums every uvicorn worker (affinity/prometheus.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

__all__ = [
    "ERRORS",
    "EVENTS",
    "HTTP_REQUESTS",
    "NEO4J_SECONDS",
    "RATE_LIMITED",
    "RATE_LIMITER_UNAVAILABLE",
    "REQUESTS",
    "REQUEST_SECONDS",
    "MetricsExtension",
    "operation_label",
]

_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "affinity_api_request_seconds", "GraphQL operation latency", ["operation", "type"], buckets=_BUCKETS
)
REQUESTS = Counter("affinity_api_requests", "GraphQL operations by outcome", ["operation", "outcome"])
ERRORS = Counter("affinity_api_errors", "GraphQL errors by code", ["operation", "code"])
NEO4J_SECONDS = Histogram(
    "affinity_api_neo4j_seconds", "Time in Neo4j per named Cypher statement", ["statement"], buckets=_BUCKETS
)
HTTP_REQUESTS = Counter("affinity_api_http_requests", "HTTP requests", ["path", "status"])
EVENTS = Counter("affinity_api_events", "Shop events recorded, by type and strategy", ["type", "strategy"])
RATE_LIMITED = Counter("affinity_api_rate_limited", "Operations refused by the per-key rate limit")
RATE_LIMITER_UNAVAILABLE = Counter(
    "affinity_api_rate_limiter_unavailable", "Rate-limit checks that could not reach Redis (let through)"
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_OPERATIONS = 200
_seen_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name."""
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "invalid"
    if name not in _seen_operations:
        if len(_seen_operations) >= _MAX_OPERATIONS:
            return "other"
        _seen_operations.add(name)
    return name


class MetricsExtension(SchemaExtension):
    """Times each operation and counts its errors by code."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        operation = operation_label(context.operation_name)
        try:
            kind = context.operation_type.value
        except RuntimeError:  # the document did not parse: no operation type
            kind = "invalid"
        REQUEST_SECONDS.labels(operation, kind).observe(time.perf_counter() - started)
        result = context.result
        errors = getattr(result, "errors", None) or context.pre_execution_errors or []
        REQUESTS.labels(operation, "error" if errors else "ok").inc()
        for error in errors:
            code = (error.extensions or {}).get("code", "INVALID_QUERY")
            ERRORS.labels(operation, str(code)).inc()
