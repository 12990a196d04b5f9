"""Run one training function in a child process beside the caller's own work (:func:`start`).

On two cores a small model's torch ops do not keep both busy from one process, and a retrain's parts
that need nothing from each other (the residual-weight selection, the customer model) can run side by
side. A process, not a thread: each side's seeded random streams stay its own, so the result is the
one the function gives in-process with the same torch threads.

The child is a fresh interpreter (``python -m training.background``), not a ``multiprocessing``
child: a Celery prefork worker's processes are daemonic and may not have those, and a forked child of
a process whose OpenMP pool has run can deadlock. It dies with its parent (Linux
``PR_SET_PDEATHSIG``), so a killed worker leaves no orphan computing on.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from training.aliases import Progress, no_progress

__all__ = ["Background", "start"]

T = TypeVar("T")
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _child(job: Path, out: Path, parent: int) -> None:
    """The child's side: read the call from ``job``, write the outcome to ``out`` (then renamed, so the
    parent never reads half a file)."""
    _die_with_parent()
    if os.getppid() != parent:
        return  # the parent died before the death signal was asked for
    import torch  # after the above: the import takes seconds

    with job.open("rb") as handle:
        fn, kwargs, threads, progress, nice = pickle.load(handle)  # our own file, written by `start`
    torch.set_num_threads(threads)
    if nice > 0:
        os.nice(nice)
    events: list[tuple[str, int, int]] = []
    started = time.perf_counter()
    try:
        if progress:
            kwargs = {**kwargs, "progress": lambda s, d, t: events.append((s, d, t))}
        outcome: dict[str, Any] = {
            "value": fn(**kwargs),
            "events": events,
            "seconds": time.perf_counter() - started,
        }
    except Exception as exc:  # handed to the parent, which raises it
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
    partial = out.with_suffix(".partial")
    with partial.open("wb") as handle:
        pickle.dump(outcome, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(out)


class Background(Generic[T]):
    """A function running in a child process (:func:`start`)."""

    def __init__(
        self,
        name: str,
        process: subprocess.Popen[bytes],
        folder: tempfile.TemporaryDirectory[str],
        progress: Progress,
    ) -> None:
        self.name, self._process, self._folder, self._progress = name, process, folder, progress
        self.seconds = 0.0

    def result(self) -> T:
        """Wait for the value (the child's error is raised here); its progress events are replayed."""
        code = self._process.wait()
        out = Path(self._folder.name) / "out.pkl"
        if not out.exists():
            self._folder.cleanup()
            raise RuntimeError(f"the {self.name} process died (exit code {code})")
        with out.open("rb") as handle:
            outcome = pickle.load(handle)  # written by our own child
        self._folder.cleanup()
        if "error" in outcome:
            raise RuntimeError(f"the {self.name} failed: {outcome['error']}")
        for event in outcome["events"]:
            self._progress(*event)
        self.seconds = float(outcome["seconds"])
        value: T = outcome["value"]
        return value

    def stop(self) -> None:
        """End the child if it still runs (the caller failed, or no longer needs it)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._folder.cleanup()


def start(
    name: str,
    fn: Callable[..., T],
    kwargs: dict[str, Any],
    threads: int,
    progress: Progress | None = None,
    nice: int = 0,
) -> Background[T]:
    """``fn(**kwargs)`` in a child Python process with ``threads`` torch threads. With ``progress``,
    ``fn`` is also given a ``progress`` callback whose events are replayed to it when the result is
    read. ``nice`` lowers the child's CPU priority: work off the critical path then takes the cores
    only when the others leave them idle. ``fn`` must be importable by name (a module-level
    function) and its arguments picklable."""
    folder = tempfile.TemporaryDirectory(prefix=f"affinity-{name.replace(' ', '-')}-")
    job = Path(folder.name) / "job.pkl"
    with job.open("wb") as handle:
        call = (fn, kwargs, threads, progress is not None, nice)
        pickle.dump(call, handle, protocol=pickle.HIGHEST_PROTOCOL)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "training.background",
            str(job),
            str(Path(folder.name) / "out.pkl"),
            str(os.getpid()),
        ]
    )
    return Background(name, process, folder, progress or no_progress)


if __name__ == "__main__":
    _child(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
