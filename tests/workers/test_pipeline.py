"""The retrain pipeline through a real Celery worker on Redis and a real Neo4j.

The first test is one scenario, in order, because each part needs the state the previous one left:
a first retrain activates a version; a second one is killed mid-write and the first keeps
serving; a re-run activates a new version and prunes the half-written one; rollback restores the
first version's edges exactly; a product added afterwards gets associations without a retrain.
Its io queue runs in a worker without the ML stack, as the io worker's image does. Those retrains
are quick ones (3 epochs, no selection windows); the scheduler's test runs the default retrain,
every option as shipped, on a small shop.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import neo4j
import pytest

from affinity.settings import Settings
from ingest.removal import erase_customer
from stores import dispatch, jobs, versions
from stores.jobs import JobConflictError
from tests.factories import active_edges, active_recommended, load_synthetic
from tests.otlp_collector import Collector
from tests.prometheus_text import sample
from tests.servers import Scheduler, Worker, free_port, wait_for
from tests.statements import TEST_CYPHER
from workers.pipeline import STEPS, task_name

STEP_NAMES = [step for step, _ in STEPS]
COUNT_ORDERS = TEST_CYPHER.query("count_orders")

pytestmark = pytest.mark.integration


@pytest.fixture
def io_worker_without_ml(tmp_path: Path) -> Iterator[Worker]:
    """The io queue's worker as in its image, without torch or any of the ML stack, beside a gpu worker."""
    gpu = Worker(tmp_path / "gpu-worker.log", queues="gpu")
    io = Worker(tmp_path / "io-worker.log", queues="io", ml=False)
    gpu.start()
    io.start()
    yield io
    io.stop()
    gpu.stop()


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    w = Worker(tmp_path / "worker.log", env={"AFFINITY_WORKER_METRICS_PORT": str(free_port())})
    w.start()
    yield w
    w.stop()


def test_retrain_crash_rerun_rollback_and_incremental(
    redis_running: Settings, empty_graph: neo4j.Driver, io_worker_without_ml: Worker, tmp_path: Path
) -> None:
    worker = io_worker_without_ml  # the io worker is the one killed mid-write
    settings = redis_running.model_copy(update={"job_stale_after_s": 5})
    db = settings.neo4j_database
    load_synthetic(empty_graph, db, tmp_path / "data")
    options = {"epochs": 3, "selection_windows": 0}  # a quick retrain

    # 1. A first retrain through the worker activates its version.
    first = wait_for(empty_graph, db, dispatch.submit_retrain(settings, options))
    assert first.state == "succeeded", first.error
    v1 = versions.active(empty_graph, db)
    assert v1 is not None and v1.id == first.model_version
    assert set(first.timings) == {
        "observe",
        "export",
        "embed",
        "train",
        "evaluate",
        "write",
        "activate",
        "prune",
    }
    v1_edges = active_edges(empty_graph, db)
    assert {kind for _, _, kind, _ in v1_edges} == {"complement", "substitute"}
    assert len(v1_edges) == v1.edges
    # the customer model, versioned with it: every customer's stored recommendations
    v1_recommended = active_recommended(empty_graph, db)
    assert len(v1_recommended) == first.result["write"]["recommendations"] > 0
    assert {reason for *_, reason in v1_recommended} <= {
        "repeat",
        "similar_customers",
        "complements",
        "trending",
    }
    held_out = v1.metrics["customers"]["held_out"]  # scored on the gate's window beside buy-again
    assert held_out["customer model"]["n"] == held_out["buy-again"]["n"] > 0

    # 2. A second retrain, killed in the middle of its write-back: the first version keeps serving.
    second_id = dispatch.submit_retrain(settings, {**options, "force_activate": True})
    with pytest.raises(JobConflictError):  # never two at once
        dispatch.submit_retrain(settings, options)
    wait_for(empty_graph, db, second_id, until="write")
    worker.kill()
    partial = versions.count_edges(empty_graph, db, f"v-{second_id}")
    assert 0 < partial < len(v1_edges)
    assert versions.active(empty_graph, db).id == v1.id  # type: ignore[union-attr]
    assert active_edges(empty_graph, db) == v1_edges
    assert active_recommended(empty_graph, db) == v1_recommended

    # 3. A re-run (once the dead job has gone stale) completes and activates a new version;
    #    the half-written version is failed and its edges pruned.
    worker.start()
    time.sleep(settings.job_stale_after_s + 1)
    third = wait_for(empty_graph, db, dispatch.submit_retrain(settings, {**options, "force_activate": True}))
    assert third.state == "succeeded", third.error
    assert jobs.get(empty_graph, db, second_id).state == "failed"  # type: ignore[union-attr]
    statuses = {v.id: (v.status, v.edges) for v in versions.list_versions(empty_graph, db)}
    assert statuses[f"v-{second_id}"] == ("pruned", 0)
    assert statuses[third.model_version][0] == "active"  # type: ignore[index]
    assert statuses[v1.id][0] == "retired"
    # its gate scored it and the then active first version on the same held-out window
    gated = {v.id: v.metrics for v in versions.list_versions(empty_graph, db)}[third.model_version]
    assert gated["source"] == "held-out gate window" and gated["gate"]["active_version"] == v1.id
    comparison = gated["gate"]["comparison"]  # v1's weights never saw the window: compared on all of it
    assert comparison["window"] == gated["gate"]["window"] and comparison["pairs"]["overall"] > 0
    assert comparison["active"]["overall"]["ndcg"] > 0
    assert gated["overall"] == gated["gate"]["candidate"]["overall"]

    # 4. Rollback restores the first version's edges exactly.
    rolled = subprocess.run(
        [sys.executable, "-m", "cli.main", "model", "rollback"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rolled.returncode == 0, rolled.stderr
    assert v1.id in rolled.stdout
    assert active_edges(empty_graph, db) == v1_edges
    assert active_recommended(empty_graph, db) == v1_recommended

    # 5. A product added after training gets an embedding and associations without a retrain.
    new_product = {
        "id": "NEW-1",
        "title": "blue ceramic mug with red spots",
        "tags": ["colour:blue", "type:mug"],
    }
    data = tmp_path / "new"
    data.mkdir()
    (data / "products.jsonl").write_text(json.dumps(new_product) + "\n")
    from ingest.pipeline import ingest_paths

    ingest_paths(empty_graph, db, [data], batch_size=100)
    started = time.monotonic()
    refresh = wait_for(empty_graph, db, dispatch.submit_product_refresh(settings, ["NEW-1"]), timeout=120)
    assert refresh.state == "succeeded", refresh.error
    assert time.monotonic() - started < 60
    mine = {(s, t, k) for s, t, k, _ in active_edges(empty_graph, db) if s == "NEW-1"}
    assert {k for _, _, k in mine} == {"complement", "substitute"}
    assert all(t != "NEW-1" for _, t, _ in mine)

    # 6. Erasing a customer: the recount of co-purchases runs as a job on the io worker (no ML stack).
    customer = next(c for c, *_ in v1_recommended)
    orders_before = empty_graph.execute_query(COUNT_ORDERS, database_=db).records[0]["n"]
    erased = erase_customer(empty_graph, db, customer)
    assert erased.found and erased.orders > 0
    recount = wait_for(empty_graph, db, dispatch.submit_co_purchase_recount(settings, "test"), timeout=120)
    assert recount.state == "succeeded", recount.error
    assert recount.result["baskets"] == orders_before - erased.orders


def test_the_scheduler_starts_exactly_one_default_retrain(
    redis_running: Settings, empty_graph: neo4j.Driver, tmp_path: Path, collector: Collector
) -> None:
    """`affinity scheduler` starts one retrain when its policy holds (here: one new order), whatever
    the number of checks meanwhile or a restart of the scheduler. That retrain runs with no options:
    the epochs cap, the selection windows in their background process, the gate window and the
    customer model, as a shop's retrain runs."""
    db = redis_running.neo4j_database
    load_synthetic(empty_graph, db, tmp_path / "data", n_products=120, n_baskets=1200)
    policy = {"AFFINITY_RETRAIN_AFTER_NEW_ORDERS": "1", "AFFINITY_SCHEDULER_CHECK_INTERVAL_S": "2"}
    traced = {"AFFINITY_OTEL_ENDPOINT": collector.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    worker = Worker(tmp_path / "worker.log", env={**policy, **traced})  # the worker decides: its policy
    worker.start()
    scheduler = Scheduler(tmp_path / "scheduler.log", env=policy)
    try:
        scheduler.start()
        deadline = time.monotonic() + 120
        while not (started := jobs.list_jobs(empty_graph, db)):
            assert time.monotonic() < deadline, "the scheduler started no retrain"
            time.sleep(0.5)
        job = wait_for(empty_graph, db, started[0].id, timeout=900)
        scheduler.stop()  # a restarted scheduler decides from the graph: nothing new, nothing due
        scheduler.start()
        time.sleep(8)  # several checks
    finally:
        scheduler.stop()
        worker.stop()
    assert [(j.kind, j.id) for j in jobs.list_jobs(empty_graph, db)] == [("retrain", job.id)]
    log = (tmp_path / "worker.log").read_text()
    assert f"scheduler: started {job.id} retrain: 1200 new orders" in log
    assert "already queued or running" in log  # the checks while it ran
    assert "not due: 0 new orders since the last successful retrain of 1" in log

    # Traced: every step a span of the worker's, all in the trace of the check that started the job.
    spans = collector.wait_for(
        lambda got: {s.attributes.get("affinity.step") for s in got} >= set(job.timings)
    )
    steps = [s for s in spans if s.attributes.get("affinity.job_id") == job.id]
    assert {s.name for s in steps} == {f"run/{task_name(step, queue)}" for step, queue in STEPS}
    assert len({s.trace_id for s in steps}) == 1 and {s.service for s in steps} == {"affinity-worker"}
    check = [
        s for s in spans if s.name == "run/affinity.io.consider_retrain" and s.trace_id == steps[0].trace_id
    ]
    assert len(check) == 1

    assert job.state == "succeeded", job.error
    timings = job.result["train"]["timings"]
    assert timings["selection"] > 0 and "selection_wait" in timings  # chosen beside the main fit
    version = versions.active(empty_graph, db)
    assert version is not None and version.id == job.model_version
    assert version.metrics["source"] == "held-out gate window"
    assert len(active_edges(empty_graph, db)) == version.edges > 0
    assert len(active_recommended(empty_graph, db)) == job.result["write"]["recommendations"] > 0


def test_a_job_cancelled_mid_train_stops_and_the_active_version_serves_on(
    redis_running: Settings, empty_graph: neo4j.Driver, worker: Worker, tmp_path: Path
) -> None:
    db = redis_running.neo4j_database
    load_synthetic(empty_graph, db, tmp_path / "data")
    options = {"epochs": 3, "selection_windows": 0}
    first = wait_for(empty_graph, db, dispatch.submit_retrain(redis_running, options))
    assert first.state == "succeeded", first.error
    before = active_edges(empty_graph, db)

    job_id = dispatch.submit_retrain(redis_running, {"epochs": 40, "selection_windows": 0})
    deadline = time.monotonic() + 300
    while (job := jobs.get(empty_graph, db, job_id)) is None or not (job.step == "train" and job.done >= 1):
        assert job is None or job.state != "failed", job.error
        assert time.monotonic() < deadline, "the retrain did not reach its first epoch"
        time.sleep(0.2)
    cancelled = subprocess.run(
        [sys.executable, "-m", "cli.main", "job", "cancel", job_id, "--wait", "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert cancelled.returncode == 0, cancelled.stderr
    ended = json.loads(cancelled.stdout)
    assert (ended["state"], ended["step"]) == ("failed", "train")
    assert ended["error"] == "cancelled by request in step train"
    assert ended["done"] < 40  # stopped at a progress report, not after the last epoch
    active = versions.active(empty_graph, db)
    assert active is not None and active.id == first.model_version
    assert active_edges(empty_graph, db) == before
    assert {v.id: v.status for v in versions.list_versions(empty_graph, db)}[f"v-{job_id}"] == "failed"
    # a job that has ended cannot be cancelled, and holds no lock: nothing is queued or running
    assert [j.id for j in jobs.list_jobs(empty_graph, db) if j.state in ("queued", "running")] == []
    again = subprocess.run(
        [sys.executable, "-m", "cli.main", "job", "cancel", job_id],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert again.returncode == 1 and "already failed" in again.stderr

    # The worker's metrics: its tasks (summed over its pool processes), the queues and the jobs.
    port = worker.env["AFFINITY_WORKER_METRICS_PORT"]
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    train = {"task": "affinity.gpu.train"}
    assert (
        sample(text, "affinity_worker_task_seconds_count", train) == 2
    )  # the first retrain's, then this one's
    assert sample(text, "affinity_worker_tasks_total", {**train, "outcome": "succeeded"}) == 1
    assert sample(text, "affinity_jobs", {"kind": "retrain", "state": "succeeded"}) == 1
    assert sample(text, "affinity_jobs", {"kind": "retrain", "state": "failed"}) == 1
    assert sample(text, "affinity_active_model_version", {"version": active.id}) == 1
    succeeded = sample(text, "affinity_last_successful_retrain_timestamp_seconds")
    failed = sample(text, "affinity_last_failed_retrain_timestamp_seconds")
    assert succeeded is not None and failed is not None and 0 < succeeded < failed
    assert sample(text, "affinity_queue_messages", {"queue": "gpu"}) == 0
    assert sample(text, "affinity_metrics_source_up", {"source": "neo4j"}) == 1
    assert sample(text, "affinity_metrics_source_up", {"source": "redis"}) == 1
