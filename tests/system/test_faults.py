"""Faults, each with real processes started and killed by PID (docs/reliability.md, "Faults").

1. Neo4j is SIGKILLed under a serving uvicorn API: requests fail fast with an UNAVAILABLE GraphQL
   error, /readyz turns red; the same API process recovers when Neo4j is back (a dedicated Neo4j);
   then the API itself is SIGKILLed and a new process serves the same answers.
2. Redis is SIGKILLed: reads keep working, `retrain` (GraphQL and CLI) is refused in one line naming the
   broker, a running worker reconnects when Redis is back and runs a task (a dedicated Redis).
3. A worker is SIGKILLed in each pipeline step: the job is marked failed with the step and the
   reason, the active version keeps serving, a re-run succeeds, and no duplicate or orphan edges
   remain.
4. Retrains submitted at the same moment, many times over: exactly one is accepted each time.

Times are printed (``-s``) as ``[faults] ...`` lines; the only timing asserts are the generous
"fails fast" bounds that are the behaviour itself.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest
from celery import signature

from affinity import neo4j_server, redis_server
from affinity.db import connect
from affinity.settings import Settings
from cli.common import ExitCode
from stores import dispatch, jobs, versions
from stores.jobs import JobConflictError
from tests.factories import active_edges, load_synthetic
from tests.servers import (
    Worker,
    isolated,
    kill_neo4j,
    kill_redis,
    seeded_neo4j,
    sigkill,
    wait_for,
    wait_until_healthy,
)
from tests.service.api import ADMIN, READ
from tests.statements import TEST_CYPHER
from workers.app import app as session_celery
from workers.app import create_celery
from workers.pipeline import STEPS
from workers.runner import version_of

pytestmark = pytest.mark.integration

CLEAR_DATA = TEST_CYPHER.query("clear_data")
CLEAR_JOB_LOCKS = TEST_CYPHER.query("clear_job_locks")
DUPLICATE_EDGES = TEST_CYPHER.query("duplicate_edges")
ORPHAN_EDGES = TEST_CYPHER.query("orphan_edges")

#: "Fails fast": far below the driver's 60 s and 30 s defaults, generous for a loaded 2-core machine.
FAILS_FAST_S = 10.0
PRODUCT_QUERY = '{ product(id: "P1") { productId title } }'
READ_QUERY = "{ products(first: 3) { totalCount edges { node { productId } } } }"
RETRAIN_MUTATION = (
    "mutation { retrain { __typename ... on RetrainRejected { message } "
    "... on RetrainQueued { job { jobId } } } }"
)
#: A quick retrain: two epochs, no selection of the residual ranker's weight.
OPTIONS: dict[str, Any] = {"epochs": 2, "selection_windows": 0}
STALE_S = 3


def report(what: str, seconds: float) -> None:
    print(f"[faults] {what}: {seconds:.2f} s")


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def post(base: str, query: str, headers: dict[str, str]) -> tuple[httpx.Response, float]:
    return timed(lambda: httpx.post(f"{base}/graphql", json={"query": query}, headers=headers, timeout=60))


def start_api(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[str]:
    """`affinity serve` for the servers in ``env``, logging to a file (a pipe could fill and block it)."""
    handle = log.open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
        stdout=handle, stderr=subprocess.STDOUT, text=True, env={**os.environ, **env},
    )  # fmt: skip


def stop_api(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def poll_until(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds until ``condition()`` holds (exceptions count as not yet); fail after ``timeout_s``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            if condition():
                return time.monotonic() - started
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout_s:.0f} s")


# ---------------------------------------------------------------------------------------------------
# 1. Neo4j stops under the API


@pytest.fixture
def own_neo4j(settings: Settings) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A dedicated Neo4j (own home and ports) holding the API tests' small graph."""
    with seeded_neo4j(settings, "faults-neo4j") as served:
        yield served


def test_neo4j_down_api_fails_fast_and_recovers_in_place(
    own_neo4j: tuple[Settings, dict[str, str]], tmp_path: Path
) -> None:
    own, env = own_neo4j
    base = f"http://127.0.0.1:{own.api_port}"
    api = start_api(env, own.api_port, tmp_path / "api.log")
    try:
        wait_until_healthy(api, base)
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
        response, _ = post(base, PRODUCT_QUERY, READ)
        assert response.json()["data"]["product"]["title"] == "Desk lamp"

        kill_neo4j(own)  # SIGKILL: no clean shutdown
        for attempt in range(3):  # the pool's stale connections first, then refused new ones
            response, seconds = post(base, PRODUCT_QUERY, READ)
            report(f"neo4j down: GraphQL read #{attempt + 1} failed in", seconds)
            assert seconds < FAILS_FAST_S
            assert response.status_code == 200, response.text  # a GraphQL error, not a 500
            errors = response.json()["errors"]
            assert [e["extensions"]["code"] for e in errors] == ["UNAVAILABLE"], errors
            assert "graph database is unavailable" in errors[0]["message"]
            assert "Traceback" not in response.text and "neo4j.exceptions" not in response.text
        ready, seconds = timed(lambda: httpx.get(f"{base}/readyz", timeout=60))
        report("neo4j down: /readyz red in", seconds)
        assert seconds < FAILS_FAST_S
        assert ready.status_code == 503
        assert ready.json()["ready"] is False and ready.json()["neo4j"] == "unreachable"
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200  # alive, only not ready

        started = time.monotonic()
        neo4j_server.start(own)
        report("neo4j restart (process start to Bolt answering)", time.monotonic() - started)

        def reads() -> bool:
            body = post(base, PRODUCT_QUERY, READ)[0].json()
            return bool(body.get("data")) and body["data"]["product"]["title"] == "Desk lamp"

        report("api recovery after Neo4j answers: first good read", poll_until(reads, 60, "a read"))
        assert api.poll() is None, "the API process must recover in place, not exit"
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200

        # The API SIGKILLed: it holds no state, so a new process serves the same answers.
        sigkill(api.pid, "the API")
        api.wait(timeout=30)
        with pytest.raises(httpx.TransportError):
            post(base, PRODUCT_QUERY, READ)
        started = time.monotonic()
        api = start_api(env, own.api_port, tmp_path / "api.log")
        wait_until_healthy(api, base)
        report("api SIGKILLed: a new process healthy after", time.monotonic() - started)
        assert reads()
    finally:
        stop_api(api)


# ---------------------------------------------------------------------------------------------------
# 2. Redis stops under the API and a worker


@pytest.fixture
def own_redis(neo4j_driver: neo4j.Driver, settings: Settings) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A dedicated Redis (own home and port) beside the session's Neo4j."""
    own, env = isolated(settings, "faults-redis", neo4j=False)
    redis_server.start(own)
    try:
        yield own, env
    finally:
        redis_server.stop(own)


def test_redis_down_reads_work_retrain_refused_worker_reconnects(
    own_redis: tuple[Settings, dict[str, str]], neo4j_driver: neo4j.Driver, tmp_path: Path
) -> None:
    own, env = own_redis
    db = own.neo4j_database
    base = f"http://127.0.0.1:{own.api_port}"
    celery = create_celery(own)
    worker = Worker(tmp_path / "worker.log", env=env)
    worker.start()
    api = start_api(env, own.api_port, tmp_path / "api.log")
    try:
        wait_until_healthy(api, base)
        health = celery.send_task("affinity.io.health").get(timeout=180)
        assert "nodes" in health
        gc.collect()  # the result's clean-up talks to Redis: let it happen while Redis is up

        kill_redis(own)  # SIGKILL: no clean shutdown
        jobs_before = {j.id for j in jobs.list_jobs(neo4j_driver, db, limit=1000)}
        response, _ = post(base, READ_QUERY, READ)
        assert "errors" not in response.json() and response.json()["data"]["products"]["totalCount"] >= 0

        response, seconds = post(base, RETRAIN_MUTATION, ADMIN)
        report("redis down: retrain mutation refused in", seconds)
        assert seconds < FAILS_FAST_S
        result = response.json()["data"]["retrain"]
        assert result["__typename"] == "RetrainRejected", result
        message = result["message"]
        assert "broker" in message and f"127.0.0.1:{own.redis_port}" in message and "\n" not in message

        cli, seconds = timed_cli(["retrain"], env)
        report("redis down: `affinity retrain` exited (process start included) in", seconds)
        assert cli.returncode == ExitCode.UNAVAILABLE
        lines = cli.stderr.strip().splitlines()
        assert len(lines) == 1 and "broker" in lines[0] and f"127.0.0.1:{own.redis_port}" in lines[0], lines
        assert "Traceback" not in cli.stdout + cli.stderr
        # A refused retrain leaves no job behind to block the next one.
        assert {j.id for j in jobs.list_jobs(neo4j_driver, db, limit=1000)} == jobs_before

        redis_server.start(own)
        started = time.monotonic()
        health = celery.send_task("affinity.io.health").get(timeout=180)
        report("redis back: the same worker ran a task after", time.monotonic() - started)
        assert "nodes" in health
        assert worker.process is not None and worker.process.poll() is None  # reconnected, not restarted
    finally:
        stop_api(api)
        worker.stop()


def timed_cli(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120, check=False,
    )  # fmt: skip
    return done, time.monotonic() - started


# ---------------------------------------------------------------------------------------------------
# 3. A worker killed in each pipeline step; 4. concurrent retrains


@dataclass
class Pipeline:
    driver: neo4j.Driver
    settings: Settings
    worker: Worker

    @property
    def db(self) -> str:
        return self.settings.neo4j_database


def assert_edges_consistent(driver: neo4j.Driver, db: str) -> None:
    """No edge twice for (source, target, kind, version); no edges of unknown, failed or pruned versions."""
    duplicates = driver.execute_query(DUPLICATE_EDGES, database_=db).records
    assert not duplicates, [dict(r) for r in duplicates]
    orphans = driver.execute_query(ORPHAN_EDGES, database_=db).records
    assert not orphans, [dict(r) for r in orphans]


def purge_queues(settings: Settings) -> None:
    with session_celery.connection_for_write() as connection:
        for queue in (settings.queue_io, settings.queue_gpu):
            connection.default_channel.queue_purge(queue)


@pytest.fixture(scope="module")
def pipeline(
    redis_running: Settings, neo4j_driver: neo4j.Driver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    """The synthetic catalogue, a worker, and a first retrain's version active."""
    settings = redis_running.model_copy(update={"job_stale_after_s": STALE_S})
    db = settings.neo4j_database
    with neo4j_driver.session(database=db) as session:
        session.run(CLEAR_DATA).consume()
    purge_queues(settings)
    folder = tmp_path_factory.mktemp("faults-pipeline")
    load_synthetic(neo4j_driver, db, folder / "data", n_products=120, n_baskets=900)
    worker = Worker(folder / "worker.log")
    worker.start()
    try:
        first = wait_for(neo4j_driver, db, dispatch.submit_retrain(settings, OPTIONS))
        assert first.state == "succeeded", first.error
        yield Pipeline(neo4j_driver, settings, worker)
    finally:
        worker.stop()


def wait_for_step(driver: neo4j.Driver, db: str, job_id: str, step: str, timeout: float = 400) -> None:
    def reached() -> bool:
        job = jobs.get(driver, db, job_id)
        assert job is not None and job.state != "failed", job and job.error
        return job.state == "running" and job.step == step

    poll_until(reached, timeout, f"job {job_id} reaching step {step}")


#: Steps at whose start the retrain has made no model version yet (`train` creates it).
NO_VERSION_YET = ("observe", "export", "embed", "train")


#: The steps drilled here; the later ones in test_worker_kills.py (a module of its own, so that the
#: test command's two processes share the drills: scripts/test.sh distributes whole modules).
STEP_NAMES = [step for step, _ in STEPS]
EARLY_STEPS = STEP_NAMES[:4]
LATE_STEPS = STEP_NAMES[4:]


@pytest.mark.parametrize("step", EARLY_STEPS)
def test_worker_killed_in_step(step: str, pipeline: Pipeline) -> None:
    kill_worker_in_step(step, pipeline)


def kill_worker_in_step(step: str, pipeline: Pipeline) -> None:
    """Kill the worker in ``step`` of a retrain; the active version serves on, and a re-run heals."""
    driver, db, settings, worker = pipeline.driver, pipeline.db, pipeline.settings, pipeline.worker
    before = versions.active(driver, db)
    assert before is not None
    before_edges = active_edges(driver, db)

    # Killed mid-write (after some batches) for `write`; at the very start of every other step,
    # where the test hook holds the step (the fast ones would finish before a poll saw them).
    worker.stop()
    worker.start(None if step == "write" else {"AFFINITY_TEST_PAUSE_AT_STEP": step})
    job_id = dispatch.submit_retrain(settings, {**OPTIONS, "force_activate": True})
    if step == "write":
        wait_for(driver, db, job_id, until="write")
    else:
        wait_for_step(driver, db, job_id, step)
    worker.kill()
    killed_at = time.monotonic()

    killed = jobs.get(driver, db, job_id)
    assert killed is not None and (killed.state, killed.step) == ("running", step)
    serving = versions.active(driver, db)
    assert serving is not None
    if step == "prune":  # activation had committed: the new version serves, complete
        assert serving.id == version_of(job_id) and serving.edges == killed.result["write"]["edges"]
    else:  # the previously active version keeps serving, unchanged
        assert serving.id == before.id and active_edges(driver, db) == before_edges
        if step == "write":
            assert 0 < versions.count_edges(driver, db, version_of(job_id)) < killed.total

    # A restarted worker and a re-run (once the killed job has gone stale) heal everything.
    worker.start()
    time.sleep(max(0.0, STALE_S + 1 - (time.monotonic() - killed_at)))
    rerun = wait_for(driver, db, dispatch.submit_retrain(settings, {**OPTIONS, "force_activate": True}))
    report(f"worker killed in {step}: kill to the re-run's version active", time.monotonic() - killed_at)
    assert rerun.state == "succeeded", rerun.error

    killed = jobs.get(driver, db, job_id)
    assert killed is not None and killed.state == "failed"
    assert killed.error is not None and f"abandoned in step {step}" in killed.error, killed.error
    by_id = {v.id: v for v in versions.list_versions(driver, db)}
    assert by_id[rerun.model_version or ""].status == "active"
    assert (
        active_edges(driver, db) and len(active_edges(driver, db)) == by_id[rerun.model_version or ""].edges
    )
    mine = by_id.get(version_of(job_id))
    if step in NO_VERSION_YET:
        assert mine is None
    elif step == "prune":
        assert mine is not None and mine.status == "retired" and mine.edges > 0
    else:  # its candidate was failed when the job was taken for dead, then pruned by the re-run
        assert mine is not None and (mine.status, mine.edges) == ("pruned", 0)
    assert_edges_consistent(driver, db)


def test_redelivered_step_of_a_settled_job_changes_nothing(pipeline: Pipeline) -> None:
    """A step delivered again after its job ended (acks_late: its acknowledgement was lost to a broker
    blip, or its killed worker's message came back after the visibility timeout) does nothing."""
    driver, db = pipeline.driver, pipeline.db
    settled = [*jobs.list_jobs(driver, db, "succeeded")[:1], *jobs.list_jobs(driver, db, "failed")[:1]]
    assert settled
    before = {v.id: (v.status, v.edges) for v in versions.list_versions(driver, db)}
    for job in settled:
        for step in ("write", "prune"):
            on_error = signature("affinity.io.fail", args=(job.id,), immutable=True, app=session_celery)
            again = signature(f"affinity.io.{step}", args=(job.id,), immutable=True, app=session_celery)
            result = again.on_error(on_error).apply_async()
            assert result.get(timeout=120) == {"skipped": f"job {job.id} is already {job.state}"}
        after = jobs.get(driver, db, job.id)
        assert after is not None and (after.state, after.error) == (job.state, job.error)
    assert {v.id: (v.status, v.edges) for v in versions.list_versions(driver, db)} == before
    assert_edges_consistent(driver, db)


def race(submit: Callable[[], str], submitters: int) -> tuple[list[str], list[JobConflictError]]:
    """Call ``submit`` from ``submitters`` threads released at the same moment."""
    barrier = threading.Barrier(submitters)

    def one(_: int) -> str | JobConflictError:
        barrier.wait()
        try:
            return submit()
        except JobConflictError as refused:
            return refused

    with ThreadPoolExecutor(submitters) as pool:
        outcomes = list(pool.map(one, range(submitters)))
    return [o for o in outcomes if isinstance(o, str)], [
        o for o in outcomes if isinstance(o, JobConflictError)
    ]


SUBMITTERS = 4


def test_concurrent_retrains_exactly_one_accepted(pipeline: Pipeline) -> None:
    driver, db, worker = pipeline.driver, pipeline.db, pipeline.worker
    settings = pipeline.settings.model_copy(update={"job_stale_after_s": 900})
    worker.stop()  # jobs stay queued while the submitters race
    purge_queues(settings)
    drivers = [connect(settings) for _ in range(SUBMITTERS)]
    try:
        rounds = [("submit_retrain", lambda: dispatch.submit_retrain(settings, OPTIONS))] * 10
        # The check-and-create alone, on open connections: the tightest race.
        counter = iter(range(10**6))

        def create() -> str:
            return jobs.create_job(drivers[next(counter) % SUBMITTERS], settings, "retrain", OPTIONS, True)

        rounds += [("create_job", create)] * 30
        for number, (how, submit) in enumerate(rounds):
            if number % 2 == 0:  # half the rounds also race to create the lock node itself
                driver.execute_query(CLEAR_JOB_LOCKS, database_=db)
            accepted, refused = race(submit, SUBMITTERS)
            assert len(accepted) == 1 and len(refused) == SUBMITTERS - 1, (how, number, accepted, refused)
            assert all(accepted[0] in str(error) and "already" in str(error) for error in refused)
            queued = [j.id for j in jobs.list_jobs(driver, db, "queued") if j.kind == "retrain"]
            assert queued == accepted
            jobs.finish(driver, db, accepted[0], "failed", error="test: cleared for the next round")
    finally:
        for own in drivers:
            own.close()
    purge_queues(settings)

    # One of two simultaneous submissions runs to the end; its version's edges are its own, once.
    worker.start()
    accepted, refused = race(
        lambda: dispatch.submit_retrain(settings, {**OPTIONS, "force_activate": True}), 2
    )
    assert len(accepted) == 1 and len(refused) == 1
    done = wait_for(driver, db, accepted[0])
    assert done.state == "succeeded", done.error
    assert versions.count_edges(driver, db, version_of(accepted[0])) == done.result["write"]["edges"]
    assert versions.active(driver, db).id == version_of(accepted[0])  # type: ignore[union-attr]
    assert_edges_consistent(driver, db)
