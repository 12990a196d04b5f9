"""The popular ranking's cache: one computation at a time, the previous value served meanwhile."""

from __future__ import annotations

import asyncio

from service.refreshed import Refreshed


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_callers_without_a_value_wait_for_one_computation() -> None:
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    async def main() -> list[int]:
        kept: Refreshed[int] = Refreshed(60.0)
        return list(await asyncio.gather(*(kept.get(compute) for _ in range(20))))

    assert asyncio.run(main()) == [1] * 20
    assert calls == 1


def test_after_expiry_one_caller_recomputes_and_the_others_get_the_previous_value() -> None:
    clock = Clock()
    started = 0

    async def compute() -> str:
        nonlocal started
        started += 1
        await asyncio.sleep(0.01)
        return f"value {started}"

    async def main() -> tuple[str, list[str], str]:
        kept: Refreshed[str] = Refreshed(60.0, clock=clock)
        first = await kept.get(compute)
        clock.now = 61.0
        during = await asyncio.gather(*(kept.get(compute) for _ in range(10)))
        return first, list(during), await kept.get(compute)

    first, during, after = asyncio.run(main())
    assert first == "value 1"
    assert during[0] == "value 2"  # the caller that found it expired waited for the new value
    assert during[1:] == ["value 1"] * 9  # the rest were not held up by its computation
    assert after == "value 2" and started == 2


def test_a_failed_computation_keeps_the_previous_value_and_is_tried_again() -> None:
    clock = Clock()
    results: list[object] = ["first", RuntimeError("Neo4j is away"), "third"]

    async def compute() -> str:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        assert isinstance(result, str)
        return result

    async def main() -> list[str]:
        kept: Refreshed[str] = Refreshed(60.0, clock=clock)
        seen = [await kept.get(compute)]
        clock.now = 61.0
        try:
            await kept.get(compute)
        except RuntimeError:
            seen.append("failed")
        seen.append(await kept.get(compute))
        return seen

    assert asyncio.run(main()) == ["first", "failed", "third"]
