"""The per-request context: who calls, the request's graph access, and fresh DataLoaders.

Loaders are created on first use within a request and dropped with it, so no cache leaks between
requests or callers. A batch function takes the request's :class:`~service.query_runner.Graph` and the keys
gathered in one tick of the event loop, and answers them in one Cypher round trip:

    async def load_tags(graph: Graph, ids: list[str]) -> list[list[str]]: ...

    tags = await info.context.loader(load_tags).load(product_id)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from affinity.settings import Settings
from service.api_keys import ApiKeys
from service.auth import Caller
from service.embedding import TextEncoder
from service.query_runner import Graph
from service.rate_limit import RateLimiter
from service.refreshed import Refreshed

__all__ = ["ApiContext", "ApiInfo", "AppServices", "BatchFn"]

K = TypeVar("K")
V = TypeVar("V")

BatchFn = Callable[[Graph, list[K]], Awaitable[Sequence[V]]]


@dataclass
class AppServices:
    """What lives as long as the process: settings, the driver pool, the text encoder, small caches."""

    settings: Settings
    driver: Any  # neo4j.AsyncDriver; Any so tests can hand in their own
    embedder: TextEncoder
    rate_limiter: RateLimiter | None = None
    cache: dict[str, Refreshed[Any]] = field(default_factory=dict)
    api_keys: ApiKeys = field(init=False)

    def __post_init__(self) -> None:
        self.api_keys = ApiKeys(self.settings)  # reads the key files: a bad one stops the start-up


@dataclass
class ApiContext:
    request: Request
    response: Response
    services: AppServices
    graph: Graph
    caller: Caller
    request_id: str
    _loaders: dict[Callable[..., Any], DataLoader[Any, Any]] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def loader(self, batch: BatchFn[K, V]) -> DataLoader[K, V]:
        """The request's loader for ``batch`` (created on first use)."""
        existing = self._loaders.get(batch)
        if existing is None:
            existing = DataLoader(load_fn=partial(batch, self.graph))
            self._loaders[batch] = existing
        return existing


ApiInfo = strawberry.Info[ApiContext, None]
