"""A training function in a child process: its value and progress come back, its error is raised with
its message, a crash is reported, and stop() ends a child that still runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


PARENT = """
import sys, time
from training import background
from tests.training.test_background import sleep
job = background.start("sleeping", sleep, {"seconds": 120.0}, threads=1)
print(job._process.pid, flush=True)
time.sleep(120)
"""


def test_a_child_dies_with_its_killed_parent() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    time.sleep(1.0)  # the child is running (and has asked to die with its parent)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{child}/stat").exists() and " Z " in Path(f"/proc/{child}/stat").read_text():
            return  # a zombie: dead, waiting to be reaped by init
        time.sleep(0.2)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the child outlived its killed parent")
