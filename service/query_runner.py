"""Named Cypher run through the async driver, inside the request's time budget.

A :class:`Graph` belongs to one request. Each statement runs in its own managed read (or write)
transaction whose Neo4j timeout is what is left of ``request_timeout_s`` for the request, so a slow
traversal is stopped by the server instead of holding a connection past the deadline. Time spent in
Neo4j is recorded per statement (``affinity_api_neo4j_seconds``) and added up per request (logged).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, LiteralString

import neo4j
from neo4j import exceptions as neo4j_errors
from opentelemetry.trace import SpanKind

import cypher
from affinity.tracing import tracer
from service.errors import RequestTimeoutError, UnavailableError
from service.metrics import NEO4J_SECONDS

__all__ = ["Graph", "Statement", "statement"]


@dataclass(frozen=True)
class Statement:
    """A named statement from ``cypher/``: the name labels metrics, the text is what runs."""

    name: str
    text: LiteralString


def statement(name: str) -> Statement:
    """Bind ``name`` now: an unknown name fails at import (start-up), not while serving."""
    return Statement(name, cypher.query(name))


_TIMEOUT_CODES = ("TransactionTimedOut", "TransactionTimedOutClientConfiguration")


@dataclass
class Graph:
    driver: neo4j.AsyncDriver
    database: str
    timeout_s: float
    deadline: float = field(default=0.0)
    neo4j_seconds: float = 0.0
    round_trips: int = 0

    def __post_init__(self) -> None:
        if not self.deadline:
            self.deadline = time.monotonic() + self.timeout_s

    def remaining(self) -> float:
        """Seconds left of the request's budget (may be negative)."""
        return self.deadline - time.monotonic()

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0.01:
            raise self._timed_out()
        return remaining

    def _timed_out(self) -> RequestTimeoutError:
        return RequestTimeoutError(
            f"the request took longer than request_timeout_s={self.timeout_s:g} s and was stopped",
            limit="request_timeout_s",
            maximum=self.timeout_s,
        )

    async def read(self, stmt: Statement, **params: Any) -> list[neo4j.Record]:
        return await self._run(stmt, params, neo4j.RoutingControl.READ)

    async def write(self, stmt: Statement, **params: Any) -> list[neo4j.Record]:
        return await self._run(stmt, params, neo4j.RoutingControl.WRITE)

    async def _run(
        self, stmt: Statement, params: dict[str, Any], routing: neo4j.RoutingControl
    ) -> list[neo4j.Record]:
        query = neo4j.Query(stmt.text, timeout=self._remaining())
        started = time.perf_counter()
        span = tracer().start_as_current_span(
            f"neo4j {stmt.name}",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": "neo4j",
                "db.namespace": self.database,
                "db.operation.name": stmt.name,
            },
        )
        try:
            with span:
                result = await self.driver.execute_query(
                    query, params, routing_=routing, database_=self.database
                )
        except neo4j_errors.ClientError as error:
            if any(code in (error.code or "") for code in _TIMEOUT_CODES):
                raise self._timed_out() from None
            raise
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as error:
            raise UnavailableError("the graph database is unavailable; try again shortly") from error
        finally:
            elapsed = time.perf_counter() - started
            NEO4J_SECONDS.labels(stmt.name).observe(elapsed)
            self.neo4j_seconds += elapsed
            self.round_trips += 1
        return list(result.records)
