"""Shared by the benchmarks: an isolated Neo4j (own home, free ports), machine descriptions, timing."""

from __future__ import annotations

import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import neo4j

import cypher

#: The statements only the benchmarks run (naive baselines, alternatives, clean-ups): bench/cypher/.
BENCH_CYPHER = cypher.Catalogue(Path(__file__).resolve().parent / "cypher")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def isolate(prefix: str, heap: str = "1g", pagecache: str = "1g") -> Path:
    """Point every AFFINITY_* setting at a throwaway home and free ports; call before reading settings."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"affinity-bench-{prefix}-"))
    bolt, http = free_port(), free_port()
    os.environ.update(
        {
            "AFFINITY_ENVIRONMENT": "test",
            "AFFINITY_DATA_DIR": str(run_dir),
            "AFFINITY_MODEL_DIR": str(run_dir / "models"),
            "AFFINITY_NEO4J_URI": f"bolt://127.0.0.1:{bolt}",
            "AFFINITY_NEO4J_BOLT_PORT": str(bolt),
            "AFFINITY_NEO4J_HTTP_PORT": str(http),
            "AFFINITY_NEO4J_PASSWORD": "affinity-bench-password",
            "AFFINITY_NEO4J_HEAP": heap,
            "AFFINITY_NEO4J_PAGECACHE": pagecache,
        }
    )
    return run_dir


@contextmanager
def neo4j_running() -> Iterator[neo4j.Driver]:
    """Start the isolated server, migrate it, yield a driver; stop it afterwards."""
    from affinity import neo4j_server
    from affinity.db import connect
    from affinity.settings import get_settings
    from graph_schema import migrate

    get_settings.cache_clear()
    settings = get_settings()
    neo4j_server.start(settings)
    try:
        driver = connect(settings, wait_s=60)
        try:
            migrate(driver, settings.neo4j_database)
            yield driver
        finally:
            driver.close()
    finally:
        neo4j_server.stop(settings)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    model = cpu_model()
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores ({model}), {memory_kb / 1024 / 1024:.0f} GiB RAM, {system}"


def torch_machine() -> str:
    """The compute a torch benchmark ran on: CPU and threads, GPU, torch version, load at start."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu_model()}, {os.cpu_count()} CPUs (torch threads {torch.get_num_threads()}), {gpu}; "
        f"torch {torch.__version__}; load average at start {load:.1f}"
    )


def write_report(out: Path | None, text: str) -> None:
    """Print ``text`` and, with ``out``, write it there too."""
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def median_time(fn: Callable[[], object], runs: int, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall seconds of ``runs`` calls after ``warmup`` calls, and every timed call's seconds.

    Queued CUDA work is waited for before each clock read, when torch is loaded and sees a GPU.
    """
    for _ in range(warmup):
        fn()
    torch = sys.modules.get("torch")
    sync = torch.cuda.synchronize if torch is not None and torch.cuda.is_available() else None
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times
