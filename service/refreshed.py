"""A value kept for a while and recomputed by one request at a time, the others answered meanwhile.

The popular products' ranking scans every order (about a second of Neo4j's time on the shipped data).
When a plain time-to-live expired, every request that needed the ranking started its own scan in the
same second and the API's reads queued behind them (docs/reliability.md, "Reads during the
write-back"). Here the first caller after expiry recomputes it while later callers get the previous
value; only while there is no value yet do they wait, for that one computation.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["Refreshed"]

T = TypeVar("T")


class Refreshed(Generic[T]):
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._value: tuple[T] | None = None
        self._computed_at = -math.inf
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._value is not None and self._clock() - self._computed_at <= self.ttl_s

    async def get(self, compute: Callable[[], Awaitable[T]]) -> T:
        """The kept value while it is fresh; else ``compute()``'s, computed by one caller at a time."""
        if self._value is not None and (self._fresh() or self._lock.locked()):
            return self._value[0]
        async with self._lock:
            if not self._fresh():
                self._value = (await compute(),)
                self._computed_at = self._clock()
            assert self._value is not None
            return self._value[0]
