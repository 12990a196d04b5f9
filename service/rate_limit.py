"""Per-key rate limits: a token bucket per caller in Redis, shared by every API process.

Each operation takes one token from its caller's bucket (the API key's fingerprint; the client's
address without a key). A bucket holds ``rate_limit_burst`` tokens and refills at
``rate_limit_per_s``; an operation finding it empty is refused before it runs with ``RATE_LIMITED``,
``extensions.retryAfterS`` and a ``Retry-After`` header. The bucket lives in Redis
(:file:`token_bucket.lua`, one atomic script on the server's clock), so the limit holds across API
workers and hosts.

Redis is not needed to read the graph, so a limiter that cannot reach it lets requests through
(counted in ``affinity_api_rate_limiter_unavailable_total``, logged once per pause) and leaves Redis
alone for ``RETRY_AFTER_OUTAGE_S`` instead of adding a timeout to every request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from graphql import GraphQLError
from redis.exceptions import RedisError
from strawberry.extensions import SchemaExtension

from affinity.settings import Settings
from service.errors import ErrorCode
from service.metrics import RATE_LIMITED, RATE_LIMITER_UNAVAILABLE

__all__ = ["RateLimit", "RateLimiter", "rate_limiter_for"]

log = logging.getLogger("affinity.api")

SCRIPT = resources.files("service").joinpath("token_bucket.lua").read_text(encoding="utf-8")
KEY_PREFIX = "affinity:ratelimit:"
#: Seconds the limiter leaves an unreachable Redis alone (requests pass meanwhile).
RETRY_AFTER_OUTAGE_S = 5.0
#: Redis's connect and read timeouts: a slow Redis must not slow every request much.
REDIS_TIMEOUT_S = 0.25


class RateLimiter:
    """Takes tokens from callers' buckets (:meth:`take`)."""

    def __init__(self, client: Any, rate_per_s: float, burst: int) -> None:
        self.client = client
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.script = client.register_script(SCRIPT)
        self.paused_until = 0.0

    async def take(self, caller: str) -> float | None:
        """None when ``caller`` may go on, else the seconds until its next token."""
        if time.monotonic() < self.paused_until:
            return None
        try:
            key = KEY_PREFIX + caller
            allowed, wait_s = await self.script(keys=[key], args=[self.rate_per_s, self.burst])
        except (RedisError, OSError) as error:
            RATE_LIMITER_UNAVAILABLE.inc()
            self.paused_until = time.monotonic() + RETRY_AFTER_OUTAGE_S
            log.warning(
                "rate limiter: Redis unreachable (%s); requests pass unlimited for %g s",
                type(error).__name__,
                RETRY_AFTER_OUTAGE_S,
            )
            return None
        return None if int(allowed) == 1 else float(wait_s)

    async def close(self) -> None:
        await self.client.aclose()


def rate_limiter_for(settings: Settings) -> RateLimiter | None:
    """The limiter of ``settings``, or None when limits are off (``rate_limit_per_s`` 0) or there is
    no Redis (``rate_limit_redis_url``, else the broker's URL when that is Redis)."""
    url = settings.rate_limit_redis_url or settings.broker_url
    if settings.rate_limit_per_s <= 0 or not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = aioredis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S, retry_on_timeout=False
    )
    return RateLimiter(client, settings.rate_limit_per_s, settings.rate_limit_burst)


class RateLimit(SchemaExtension):
    """Refuses an operation whose caller's bucket is empty, after its (cached) validation and before
    it runs; an invalid document takes no token."""

    def __init__(self, limiter: RateLimiter) -> None:
        super().__init__()
        self.limiter = limiter

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        api = context.context
        if not context.pre_execution_errors and api is not None:
            wait_s = await self.limiter.take(caller_key(api))
            if wait_s is not None:
                RATE_LIMITED.inc()
                retry = max(1, math.ceil(wait_s))
                api.response.headers["Retry-After"] = str(retry)
                context.pre_execution_errors = [rate_limited_error(wait_s, self.limiter)]
        yield


def caller_key(api: Any) -> str:
    """The bucket of the request's caller: its key's fingerprint, else the client's address."""
    fingerprint: str | None = api.caller.fingerprint
    if fingerprint is not None:
        return f"key:{fingerprint}"
    client = api.request.client
    return f"addr:{client.host if client else 'unknown'}"


def rate_limited_error(wait_s: float, limiter: RateLimiter) -> GraphQLError:
    return GraphQLError(
        f"too many requests for this API key: at most {limiter.rate_per_s:g} a second "
        f"(bursts of {limiter.burst}; rate_limit_per_s, rate_limit_burst); retry in {wait_s:.2f} s",
        extensions={
            "code": str(ErrorCode.RATE_LIMITED),
            "limit": "rate_limit_per_s",
            "retryAfterS": round(wait_s, 3),
        },
    )
