"""The ASGI application: GraphQL at ``/graphql`` (GraphiQL there in development), ``/healthz``,
``/readyz`` and ``/metrics``, with request ids, CORS and a JSON request log.

``create_app()`` is what uvicorn serves (``affinity serve``, or ``uvicorn --factory service.app:create_app``).
The async driver is created in the lifespan, waiting up to ``neo4j_startup_wait_s`` for Neo4j, so
a process started beside a booting database comes up when the database does.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import neo4j
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http.ides import GraphQL_IDE

import cypher
from affinity.prometheus import render
from affinity.settings import Environment, Settings, get_settings
from affinity.tracing import REQUEST_ID, configure_tracing, tracer
from graph_schema.migrations import AppliedMigration, discover
from graph_schema.status import SchemaStatus
from service.auth import API_KEY_HEADER, authenticate, key_from_headers
from service.context import ApiContext, AppServices
from service.db import connect_async
from service.embedding import LocalTextEncoder, TextEncoder
from service.guide import guide, render_guide
from service.limits import BodySizeLimit, parse_request_json
from service.logs import configure_logging
from service.metrics import HTTP_REQUESTS
from service.query_runner import Graph
from service.rate_limit import rate_limiter_for
from service.schema import build_schema

__all__ = ["create_app", "serve_app"]

log = logging.getLogger("affinity.api")

SERVER_VERSION = cypher.query("schema.server_version")
APPLIED = cypher.query("schema.applied_migrations")
LIST_CONSTRAINTS = cypher.query("schema.list_constraints")
LIST_INDEXES = cypher.query("schema.list_indexes")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{6,64}$")
_KNOWN_PATHS = {"/graphql", "/healthz", "/readyz", "/metrics", "/shop/", "/guide"}
#: The reference shop page: plain HTML, CSS and JavaScript served as they are.
SHOP_PAGE = Path(__file__).resolve().parent / "static" / "shop"


class RequestLogMiddleware:
    """Gives every request an id (kept from ``X-Request-ID`` when sane), returns it as a header,
    and logs one JSON line per request with status, duration and the time spent in Neo4j."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        path = scope["path"]
        path_label = path if path in _KNOWN_PATHS else "other"  # bounded: labels and span names
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        span = tracer().start_as_current_span(
            f"{scope['method']} {path_label}",
            context=extract(headers),  # continue a caller's traceparent
            kind=SpanKind.SERVER,
            attributes={REQUEST_ID: request_id, "http.request.method": scope["method"]},
        )
        try:
            with span:
                await self.app(scope, receive, send_with_id)
        finally:
            HTTP_REQUESTS.labels(path_label, str(status)).inc()
            graph: Graph | None = state.get("graph")
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "neo4j_ms": round(graph.neo4j_seconds * 1000, 2) if graph else None,
                    "neo4j_round_trips": graph.round_trips if graph else None,
                    "caller": state.get("caller"),
                },
            )


class AffinityGraphQL(GraphQL[ApiContext, None]):
    """Strawberry's ASGI view with Affinity's per-request context."""

    def __init__(self, services: AppServices, graphql_ide: GraphQL_IDE | None) -> None:
        super().__init__(
            build_schema(services.settings, services.rate_limiter),
            graphql_ide=graphql_ide,
            allow_queries_via_get=False,
            subscription_protocols=(),
        )
        self.services = services

    def parse_json(self, data: str | bytes) -> Any:
        return parse_request_json(data)  # 400, never 500, for any body that is not a JSON object

    async def get_context(self, request: Request | Any, response: Response | Any) -> ApiContext:
        services = self.services
        settings = services.settings
        graph = Graph(services.driver, settings.neo4j_database, settings.request_timeout_s)
        caller = authenticate(key_from_headers(request.headers), services.api_keys)
        request.state.graph = graph
        request.state.caller = caller.fingerprint
        return ApiContext(
            request=request,
            response=response,
            services=services,
            graph=graph,
            caller=caller,
            request_id=getattr(request.state, "request_id", None) or uuid.uuid4().hex[:16],
        )


async def read_schema_status(driver: neo4j.AsyncDriver, database: str, timeout_s: float) -> SchemaStatus:
    """:func:`graph_schema.status.read_status` over the async driver (the same named statements)."""

    async def run(text: Any) -> list[neo4j.Record]:
        result = await driver.execute_query(
            neo4j.Query(text, timeout=timeout_s), routing_=neo4j.RoutingControl.READ, database_=database
        )
        return list(result.records)

    component = (await run(SERVER_VERSION))[0]
    done = [
        AppliedMigration(r["version"], r["name"], r["checksum"], str(r["applied_at"]))
        for r in await run(APPLIED)
    ]
    done_versions = {m.version for m in done}
    return SchemaStatus(
        server=component["name"],
        version=component["version"],
        edition=component["edition"],
        applied=done,
        pending_versions=[m.version for m in discover() if m.version not in done_versions],
        constraints={r["name"] for r in await run(LIST_CONSTRAINTS)},
        indexes={r["name"]: r["state"] for r in await run(LIST_INDEXES)},
    )


def create_app(
    settings: Settings | None = None,
    *,
    driver: neo4j.AsyncDriver | None = None,
    embedder: TextEncoder | None = None,
) -> Starlette:
    """The API for ``settings`` (default: from the environment). Pass ``driver`` to share one (tests,
    benchmarks); otherwise the app connects in its lifespan and closes the driver on shutdown."""
    settings = settings or get_settings()
    render_guide()  # a guide naming a statement cypher/ does not have fails at start-up
    services = AppServices(
        settings=settings,
        driver=driver,
        embedder=embedder or LocalTextEncoder(settings),
        rate_limiter=rate_limiter_for(settings),
    )
    development = settings.environment is Environment.development
    graphql = AffinityGraphQL(services, graphql_ide="graphiql" if development else None)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own = services.driver is None
        if own:
            services.driver = await connect_async(settings, wait_s=settings.neo4j_startup_wait_s)
        log.info(
            "api ready",
            extra={
                "neo4j": settings.neo4j_uri,
                "environment": str(settings.environment),
                "graphiql": development,
            },
        )
        try:
            yield
        finally:
            if own:
                await services.driver.close()
            if services.rate_limiter is not None:
                await services.rate_limiter.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            status = await read_schema_status(services.driver, settings.neo4j_database, timeout_s=3.0)
        except Exception as error:  # any failure to read the schema means: not ready
            log.warning("not ready: %s", type(error).__name__, extra={"request_id": request.state.request_id})
            return JSONResponse({"ready": False, "neo4j": "unreachable", "reason": type(error).__name__}, 503)
        body = {
            "ready": status.ready,
            "neo4j": f"{status.server} {status.version} {status.edition}",
            "migrations": [m.version for m in status.applied],
            "pendingMigrations": status.pending_versions,
            "missing": status.missing,
        }
        return JSONResponse(body, 200 if status.ready else 503)

    async def metrics(request: Request) -> Response:
        refused = metrics_refusal(request, settings)
        if refused is not None:
            return JSONResponse({"error": refused}, 401 if settings.metrics_key else 403)
        return Response(render(), media_type=CONTENT_TYPE_LATEST)

    middleware = [Middleware(RequestLogMiddleware)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=[API_KEY_HEADER, "Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=["X-Request-ID"],
                max_age=600,
            )
        )
    # Innermost: a body over the limit is refused (413) before anything reads it.
    middleware.append(Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes))
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            # The reference shop page (plain files, no build step) and the root pointing to it.
            Mount("/shop", StaticFiles(directory=SHOP_PAGE, html=True), name="shop"),
            Route("/", lambda request: RedirectResponse("/shop/"), methods=["GET"]),
            Route("/guide", guide, methods=["GET", "OPTIONS"]),  # the Neo4j Browser guide (:play <api>/guide)
        ],
        middleware=middleware,
        lifespan=lifespan,
    )


def metrics_refusal(request: Request, settings: Settings) -> str | None:
    """Why ``request`` may not read /metrics, or None: with ``metrics_key`` set a scrape must carry it
    (compared in constant time); in production without one, /metrics is closed."""
    if settings.metrics_key is None:
        if settings.environment is Environment.production:
            return "/metrics is closed in production until AFFINITY_METRICS_KEY is set"
        return None
    expected = f"Bearer {settings.metrics_key.get_secret_value()}"
    if hmac.compare_digest(request.headers.get("authorization", "").encode(), expected.encode()):
        return None
    return "/metrics needs `Authorization: Bearer <AFFINITY_METRICS_KEY>`"


def serve_app() -> Starlette:
    """uvicorn's factory (``affinity serve``): JSON logs and tracing in every worker process, then
    the app."""
    configure_logging()
    settings = get_settings()
    if configure_tracing(settings, "affinity-api"):
        try:  # the jobs this API submits carry its trace context in their Celery messages
            from opentelemetry.instrumentation.celery import CeleryInstrumentor
        except ImportError:  # without the workers extra this API submits no jobs
            pass
        else:
            CeleryInstrumentor().instrument()  # type: ignore[no-untyped-call]
    return create_app(settings)
