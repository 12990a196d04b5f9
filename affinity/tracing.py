"""OpenTelemetry tracing: off unless ``AFFINITY_OTEL_ENDPOINT`` names an OTLP/HTTP collector.

Code everywhere opens spans through :func:`tracer`; until :func:`configure_tracing` installs a
provider, OpenTelemetry's default one hands out non-recording spans (no export, ~1 µs each). Each
process configures its own exporter: the API at start-up, a Celery worker in every pool process
(after the fork: an exporter's thread does not survive one).

What is traced: an API request (continuing a caller's ``traceparent``), its GraphQL operation
(Strawberry's extension), each Neo4j statement; the Celery messages the API sends and the tasks the
workers run (the trace context travels in the message headers), so a retrain's steps join the trace
of the request that submitted it. Spans carry ``affinity.request_id``, the ``X-Request-ID``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry import trace

from affinity.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["REQUEST_ID", "configure_tracing", "tracer"]

REQUEST_ID = "affinity.request_id"


def configure_tracing(settings: Settings, service: str) -> bool:
    """Export this process's spans to ``settings.otel_endpoint`` as ``service``; False when off."""
    if not settings.otel_endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name or service})
    )
    endpoint = settings.otel_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    return True


def tracer() -> Tracer:
    return trace.get_tracer("affinity")
