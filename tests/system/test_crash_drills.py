"""Crash drills: Neo4j SIGKILLed in the middle of writes (docs/reliability.md, "Crash drills").

The CLI drills run the real command against a dedicated Neo4j, kill the server with SIGKILL once the
command has committed part of its work (seen in the graph), and check what the operator sees: one
line naming the lost server, the progress before it and how to resume, the documented exit status 3,
no traceback. Neo4j then restarts (recovering from its transaction log), the same command runs
again, and the graph must equal the one a clean run writes. The drills under a real worker's jobs
(write-back, refresh) are in test_crash_drills_jobs.py: a module of its own, so that the test
command's two processes share the drills (scripts/test.sh distributes whole modules).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import neo4j
import pytest

import cypher
from affinity import neo4j_server, redis_server
from affinity.db import session_driver
from affinity.settings import Settings
from cli.common import ExitCode
from graph_schema import migrate
from ingest.associations import observe
from stores import dispatch, jobs, versions
from tests.factories import active_edges, load_synthetic, make_dataset, run_ingest
from tests.ingest.test_graph import snapshot
from tests.servers import Worker, isolated, kill_neo4j, kill_redis, wait_for
from tests.statements import TEST_CYPHER
from training.snapshot import CatalogueSnapshot

pytestmark = pytest.mark.integration

CLEAR_DATA = TEST_CYPHER.query("clear_data")
CLEAR_BOUGHT_WITH = TEST_CYPHER.query("clear_bought_with")
BOUGHT_WITH = TEST_CYPHER.query("bought_with")
COUNT_ORDERS = TEST_CYPHER.query("count_orders")
DUPLICATE_EDGES = TEST_CYPHER.query("duplicate_edges")
ORPHAN_EDGES = TEST_CYPHER.query("orphan_edges")
OBSERVED_STATE = cypher.query("associations.observed_state")


class Server:
    """A dedicated Neo4j that a drill can SIGKILL and start again."""

    def __init__(self, settings: Settings, env: dict[str, str]) -> None:
        self.settings, self.env = settings, env

    def driver(self) -> neo4j.Driver:
        return neo4j.GraphDatabase.driver(
            self.settings.neo4j_uri,
            auth=(self.settings.neo4j_user, self.settings.neo4j_password.get_secret_value()),
        )

    def kill(self) -> None:
        kill_neo4j(self.settings)

    def start(self) -> None:
        neo4j_server.start(self.settings)

    def cli(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", *args],
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[Server]:
    own, env = isolated(settings, "crash-drills", redis=False)
    neo4j_server.start(own)
    try:
        with session_driver(own, wait_s=30) as driver:
            migrate(driver, own.neo4j_database)
        yield Server(own, env)
    finally:
        neo4j_server.stop(own)


def clear(driver: neo4j.Driver, statement: str) -> None:
    """Run a clean-up statement in an auto-commit transaction (it batches with IN TRANSACTIONS)."""
    with driver.session() as session:
        session.run(statement).consume()


def kill_when(
    server: Server, process: subprocess.Popen[str], progressed: Callable[[neo4j.Driver], bool]
) -> None:
    """SIGKILL the server as soon as ``progressed`` sees part of the command's work committed."""
    deadline = time.monotonic() + 180
    with server.driver() as driver:
        while not progressed(driver):
            assert process.poll() is None, f"the command ended before the kill:\n{process.communicate()}"
            assert time.monotonic() < deadline, "the command made no progress in 180 s"
            time.sleep(0.05)
    server.kill()


def restart(server: Server) -> None:
    started = time.monotonic()
    server.start()
    print(f"[drills] Neo4j restarted (recovery included) in {time.monotonic() - started:.1f} s")


def rerun(process: subprocess.Popen[str]) -> str:
    """The re-run's output, once it succeeded."""
    started = time.monotonic()
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, (out, err)
    print(f"[drills] the re-run finished in {time.monotonic() - started:.1f} s")
    return " ".join(out.split())


def assert_one_line_outage(process: subprocess.Popen[str], step: str) -> str:
    """The command's answer to the lost server: exit status 3, one error line, no traceback."""
    killed = time.monotonic()
    out, err = process.communicate(timeout=120)
    print(f"\n[drills] the command ended {time.monotonic() - killed:.1f} s after the kill")
    assert process.returncode == ExitCode.UNAVAILABLE, (out, err)
    assert "Traceback" not in out + err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    [line] = lines
    assert line.startswith("error: lost Neo4j at bolt://") and "`affinity db start`" in line, line
    assert f"{step} " in line and "run the same command again" in line, line
    return line


#: A quick retrain: enough for a version with edges to serve.
QUICK = {"epochs": 2, "selection_windows": 0}


@contextmanager
def first_version(
    server: Server,
    settings: Settings,
    tmp_path: Path,
    n_products: int = 200,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[CatalogueSnapshot, jobs.JobInfo]]:
    """A real worker over a fresh synthetic catalogue, with a first quick retrain's version active."""
    worker = Worker(tmp_path / "worker.log", env={**server.env, **(env or {})})
    worker.start()
    try:
        db = settings.neo4j_database
        with server.driver() as driver:
            clear(driver, CLEAR_DATA)
            snapshot = load_synthetic(driver, db, tmp_path / "shop", n_products=n_products)
            first = wait_for(driver, db, dispatch.submit_retrain(settings, QUICK))
            assert first.state == "succeeded", first.error
        yield snapshot, first
        assert worker.process is not None and worker.process.poll() is None  # the same worker throughout
    finally:
        worker.stop()


def assert_no_duplicate_or_orphan_edges(driver: neo4j.Driver) -> None:
    assert driver.execute_query(DUPLICATE_EDGES).records == []
    assert driver.execute_query(ORPHAN_EDGES).records == []


def test_neo4j_killed_mid_ingest_then_rerun_equals_a_clean_run(server: Server, tmp_path: Path) -> None:
    shop = make_dataset(tmp_path / "shop", products=200, orders=4000, lines=4)
    with server.driver() as driver:
        clear(driver, CLEAR_DATA)
    process = server.cli("ingest", str(shop), "--batch-size", "40")

    def some_orders(driver: neo4j.Driver) -> bool:
        records, _, _ = driver.execute_query(COUNT_ORDERS)
        return bool(records[0]["n"] >= 200)

    kill_when(server, process, some_orders)
    line = assert_one_line_outage(process, "orders")
    print(f"[drills] ingest: {line}")
    restart(server)
    with server.driver() as driver:
        records, _, _ = driver.execute_query(COUNT_ORDERS)
        assert 0 < records[0]["n"] < 4000, "the kill should land mid-ingest"
    resumed = server.cli("ingest", str(shop), "--batch-size", "500")
    rerun(resumed)
    with server.driver() as driver:
        after_crash = snapshot(driver, server.settings.neo4j_database)
        clear(driver, CLEAR_DATA)
        run_ingest(driver, server.settings, shop, batch_size=500)
        assert snapshot(driver, server.settings.neo4j_database) == after_crash


def test_neo4j_killed_mid_observe_then_rerun_equals_a_clean_run(server: Server, tmp_path: Path) -> None:
    with server.driver() as driver:
        clear(driver, CLEAR_DATA)
        # random baskets: pairs bought together once or twice, which min support 3 leaves out
        db = server.settings.neo4j_database
        load_synthetic(driver, db, tmp_path / "shop", n_products=300, n_baskets=3000)
        observe(driver, server.settings.neo4j_database, min_support=3, batch_size=5000)
        before = {r["id"]: r["hash"] for r in driver.execute_query(OBSERVED_STATE).records}
    # min support 1 instead of 3: every product's edges change, so every product is rewritten,
    # one product a transaction (a few edges each)
    process = server.cli("associations", "observe", "--min-support", "1", "--batch-size", "5")

    def some_rewritten(driver: neo4j.Driver) -> bool:
        now = {r["id"]: r["hash"] for r in driver.execute_query(OBSERVED_STATE).records}
        return sum(now[p] != before[p] for p in before) >= 5

    kill_when(server, process, some_rewritten)
    line = assert_one_line_outage(process, "write")
    print(f"[drills] observe: {line}")
    restart(server)
    with server.driver() as driver:
        now = {r["id"]: r["hash"] for r in driver.execute_query(OBSERVED_STATE).records}
        rewritten = sum(now[p] != before[p] for p in before)
        assert 0 < rewritten < len(before), "the kill should land mid-observe"
    resumed = server.cli("associations", "observe", "--min-support", "1", "--batch-size", "5000")
    out = rerun(resumed)
    assert f"unchanged {rewritten}" in out, out  # the committed products are kept
    with server.driver() as driver:
        after_crash = driver.execute_query(BOUGHT_WITH).records
        pairs = {(r["source"], r["target"]) for r in after_crash}
        assert len(pairs) == len(after_crash), "duplicate BOUGHT_WITH edges"
        assert all((b, a) in pairs for a, b in pairs), "one-way BOUGHT_WITH edges"
        clear(driver, CLEAR_BOUGHT_WITH)
        observe(driver, server.settings.neo4j_database, min_support=1, batch_size=5000)
        clean = driver.execute_query(BOUGHT_WITH).records
    assert [dict(r) for r in after_crash] == [dict(r) for r in clean]


def test_redis_killed_mid_retrain_the_pipeline_goes_on_once_it_is_back(
    server: Server, settings: Settings, tmp_path: Path
) -> None:
    # Redis SIGKILLed while the train step runs, and kept down until that step has ended: the
    # worker cannot enqueue the next step, retries the send (broker_outage_tolerance_s), reconnects
    # when Redis is back, and the job finishes; the version active before serves throughout.
    own, redis_env = isolated(settings, "crash-drills-redis", neo4j=False)
    redis_server.start(own)
    run = server.settings.model_copy(update={"broker_url": own.broker_url, "redis_port": own.redis_port})
    db = run.neo4j_database
    try:
        with (
            first_version(server, run, tmp_path, env=redis_env) as (_, first),
            server.driver() as driver,
        ):
            before = active_edges(driver, db)
            job_id = dispatch.submit_retrain(run, {**QUICK, "force_activate": True})
            wait_for_step(driver, db, job_id, "train")
            kill_redis(own)
            killed = time.monotonic()
            job = wait_for_step_end(driver, db, job_id, "train")
            assert job.step == "train", "the next step cannot start while Redis is down"
            time.sleep(5)  # the worker is retrying the send now
            assert versions.active(driver, db).id == first.model_version  # type: ignore[union-attr]
            assert active_edges(driver, db) == before
            redis_server.start(own)
            back = time.monotonic()
            job = wait_for(driver, db, job_id, timeout=300)
            print(
                f"[drills] redis: down {back - killed:.1f} s (the train step ended meanwhile); the job "
                f"{job.state} {time.monotonic() - back:.1f} s after Redis was back"
            )
            assert job.state == "succeeded", job.error
            active = versions.active(driver, db)
            assert active is not None and active.id == job.model_version != first.model_version
            assert versions.count_edges(driver, db, active.id) == active.edges
            assert_no_duplicate_or_orphan_edges(driver)
    finally:
        redis_server.stop(own)


def wait_for_step(driver: neo4j.Driver, db: str, job_id: str, step: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while (job := jobs.get(driver, db, job_id)) is None or job.step != step:
        assert job is None or job.state != "failed", job.error
        assert time.monotonic() < deadline, f"job {job_id} did not reach step {step}"
        time.sleep(0.1)


def wait_for_step_end(
    driver: neo4j.Driver, db: str, job_id: str, step: str, timeout: float = 300
) -> jobs.JobInfo:
    """Poll until ``step`` has recorded its time (the step function returned)."""
    deadline = time.monotonic() + timeout
    while (job := jobs.get(driver, db, job_id)) is None or step not in job.timings:
        assert job is None or job.state != "failed", job.error
        assert time.monotonic() < deadline, f"job {job_id} did not end step {step}"
        time.sleep(0.2)
    return job
