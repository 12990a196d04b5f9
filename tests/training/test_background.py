"""A training function in a child process: its value and progress come back, its error is raised with
its message, a crash is reported, and stop() ends a child that still runs."""

from __future__ import annotations

import os
import time

import pytest

from training import background
from training.aliases import Progress


def double(x: int, progress: Progress) -> tuple[int, int]:
    progress("step", 1, 1)
    return 2 * x, os.getpid()


def fail(x: int) -> int:
    raise ValueError(f"no good: {x}")


def crash(x: int) -> int:
    os._exit(3)


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_the_value_and_the_progress_come_back_from_another_process() -> None:
    events: list[str] = []
    job = background.start("double", double, {"x": 21}, threads=1, progress=lambda s, d, t: events.append(s))
    value, pid = job.result()
    assert value == 42 and pid != os.getpid() and events == ["step"] and job.seconds > 0


def test_errors_and_crashes_are_raised_with_what_happened() -> None:
    with pytest.raises(RuntimeError, match="the failing failed: ValueError: no good: 3"):
        background.start("failing", fail, {"x": 3}, threads=1).result()
    with pytest.raises(RuntimeError, match=r"the crashing process died \(exit code 3\)"):
        background.start("crashing", crash, {"x": 3}, threads=1).result()


def test_stop_ends_a_running_child() -> None:
    job = background.start("sleeping", sleep, {"seconds": 60.0}, threads=1)
    started = time.monotonic()
    job.stop()
    assert time.monotonic() - started < 10
    with pytest.raises(RuntimeError, match="died"):
        job.result()
