"""Helpers for tests that run real processes: free ports and server settings, a Celery worker, a
uvicorn API, and waiting on jobs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import neo4j

from affinity import neo4j_server, redis_server
from affinity.db import session_driver
from affinity.neo4j_server import process_alive
from affinity.settings import Settings
from graph_schema import migrate
from stores import jobs

#: A worker's settings in the pipeline tests: small write batches (a write takes many transactions,
#: so it can be caught half-done), few associations per product, and torch on one thread (on a shared
#: 2-core machine its spinning OpenMP threads slow training several times over).
WORKER_ENV = {
    "AFFINITY_WRITE_BATCH_SIZE": "40",
    "AFFINITY_TOP_K": "10",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(run_dir: Path, neo4j: bool = True, redis: bool = True, api: bool = True) -> dict[str, str]:
    """``AFFINITY_*`` variables giving servers homed in ``run_dir`` their own free loopback ports."""
    env = {"AFFINITY_DATA_DIR": str(run_dir), "AFFINITY_MODEL_DIR": str(run_dir / "models")}
    if neo4j:
        bolt, http = free_port(), free_port()
        env |= {
            "AFFINITY_NEO4J_URI": f"bolt://127.0.0.1:{bolt}",
            "AFFINITY_NEO4J_BOLT_PORT": str(bolt),
            "AFFINITY_NEO4J_HTTP_PORT": str(http),
        }
    if redis:
        port = free_port()
        env |= {"AFFINITY_REDIS_PORT": str(port), "AFFINITY_BROKER_URL": f"redis://127.0.0.1:{port}/0"}
    if api:
        env["AFFINITY_API_PORT"] = str(free_port())
    return env


def isolated(
    base: Settings, name: str, neo4j: bool = True, redis: bool = True
) -> tuple[Settings, dict[str, str]]:
    """``base`` with its own home (``data_dir/name``) and ports for a dedicated Neo4j and/or Redis
    and API; returns those settings and the variables that give them to a subprocess."""
    env = server_env(base.data_dir / name, neo4j=neo4j, redis=redis)
    fields = {key.removeprefix("AFFINITY_").lower(): value for key, value in env.items()}
    return Settings(**{**base.model_dump(), **fields}), env


@contextmanager
def seeded_neo4j(base: Settings, name: str) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A dedicated Neo4j (``isolated``: own home and ports) holding the API tests' small graph,
    stopped when the block ends."""
    from tests.service.api import seed_graph

    own, env = isolated(base, name, redis=False)
    neo4j_server.start(own)
    try:
        with session_driver(own, wait_s=30) as driver:
            migrate(driver, own.neo4j_database)
            seed_graph(driver, own)
        yield own, env
    finally:
        neo4j_server.stop(own)


def wait_until_healthy(process: subprocess.Popen[str], base: str, timeout_s: float = 90) -> None:
    """Poll ``base``/healthz until it answers 200; fail with the server's stderr if it exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"the API did not come up in {timeout_s:.0f} s"
        time.sleep(0.3)


class _Process:
    """An ``affinity`` command as a subprocess in its own process group (killed whole), logging to a file."""

    args: tuple[str, ...] = ()

    def __init__(self, log: Path, env: Mapping[str, str] | None = None) -> None:
        self.log = log
        self.env = {**os.environ, **WORKER_ENV, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, extra_env: Mapping[str, str] | None = None) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", *self.args],
            stdout=handle, stderr=subprocess.STDOUT, env={**self.env, **(extra_env or {})},
            start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the process and its children: no clean-up, no acknowledgement."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


class Worker(_Process):
    """``affinity worker`` on ``queues`` (both by default); ``ml=False`` runs it as in the io
    worker's image, where importing torch or any of the ML stack fails (tests/no_ml)."""

    def __init__(
        self, log: Path, env: Mapping[str, str] | None = None, queues: str = "gpu,io", ml: bool = True
    ) -> None:
        no_ml = {} if ml else {"PYTHONPATH": str(Path(__file__).parent / "no_ml")}
        super().__init__(log, {**(env or {}), **no_ml})
        self.args = ("worker", "--queues", queues, "--loglevel", "info")


class Scheduler(_Process):
    """``affinity scheduler`` (Celery beat)."""

    args = ("scheduler",)


def wait_for(
    driver: neo4j.Driver, db: str, job_id: str, until: str = "done", timeout: float = 400
) -> jobs.JobInfo:
    """Poll a job until it ends (``done``) or is part-way through the step named ``until`` (it has
    reported progress there: some of its writes committed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get(driver, db, job_id)
        assert job is not None
        if until == "done" and job.state in ("succeeded", "failed"):
            return job
        if until != "done" and job.step == until and job.done > 0:
            return job
        assert job.state != "failed", job.error
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not reach {until!r} in {timeout}s")


def sigkill(pid: int | None, what: str) -> None:
    """SIGKILL ``pid`` (no clean shutdown, no flush) and wait until it is gone."""
    assert pid is not None, f"{what} is not running"
    os.kill(pid, signal.SIGKILL)
    while process_alive(pid):
        time.sleep(0.05)


def kill_neo4j(settings: Settings) -> None:
    """SIGKILL the local Neo4j of ``settings``: it recovers from its transaction log when started."""
    sigkill(neo4j_server.read_pid(neo4j_server.paths_for(settings)), "Neo4j")


def kill_redis(settings: Settings) -> None:
    """SIGKILL the local Redis of ``settings``."""
    sigkill(neo4j_server.read_pid_file(redis_server.pid_file(settings)), "Redis")
