"""Soak: mixed GraphQL reads at a steady open-loop rate for minutes, with a retrain in the middle.

    .venv/bin/python bench/soak.py [--duration 600] [--rate 0 (ramp, then 65% of the max)]
                                   [--retrain-at 180] [--data-dir DIR] [--worker-nice 19]
                                   [--worker-threads 1] [--no-warm-up] [--out docs/reliability.md]

Everything runs isolated on free loopback ports (``bench.common``): a Neo4j (its write path warmed
up as ``affinity db start`` does, unless ``--no-warm-up``), a Redis, one Celery
worker (``affinity worker --queues gpu,io``) and the API (``affinity serve``, one uvicorn worker).
Unless ``--data-dir`` names a directory this script prepared before (it keeps its state there), the
shipped Online Retail data is converted, ingested and observed, and one retrain runs through the
worker, so the API serves an active model.

Then, optionally, a short ramp of open-loop steps finds the highest rate the machine sustains (all
requests answered, p95 under a second, completions keeping up with arrivals); the soak offers a fixed
``--rate`` (default: ``--rate-share`` of that maximum). Arrivals are scheduled at fixed intervals
whatever the answers do (open loop), and each latency is measured from the request's *scheduled*
time, so a server that falls behind shows it (no coordinated omission). The mix: associations
(50%), recommendations for a customer or a basket (30%), product search (20%). At ``--retrain-at``
seconds a retrain is submitted to the worker; the soak runs at least ``--duration`` seconds and at
least ``--after`` seconds past the retrain's end.

Reported: errors by type, p50/p95/p99 per 30-s window with the load average and the retrain step,
p99 during the retrain against outside it (the first `--warmup` seconds left out: a cold API and page
cache are not the idle baseline), and the RSS of each process (API, Neo4j, worker with its
pool, Redis) at start and end. The section "## Load (soak)" of ``--out`` is replaced (no other
section is touched); a plot goes to ``docs/soak.png``; raw samples to ``<data dir>/soak.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import gzip
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402

from affinity import neo4j_server, redis_server  # noqa: E402
from affinity.db import connect  # noqa: E402
from affinity.neo4j_server import read_pid_file  # noqa: E402
from affinity.settings import Settings, get_settings  # noqa: E402
from bench.common import free_port, isolate, machine  # noqa: E402
from graph_schema import migrate  # noqa: E402
from stores import dispatch, jobs, versions  # noqa: E402

WINDOW_S = 30.0
MIX: tuple[tuple[str, float], ...] = (("associations", 0.5), ("recommendations", 0.3), ("search", 0.2))
KINDS = [kind for kind, _ in MIX]
WEIGHTS = [weight for _, weight in MIX]
PREPARED = "soak-prepared.json"

GQL_ASSOCIATIONS = """query A($id: ID!) { associations(productId: $id, kind: COMPLEMENT, first: 10) {
  rank score product { productId title price } } }"""
GQL_RECOMMEND_CUSTOMER = """query R($id: ID!) { recommendations(customerId: $id, first: 10) {
  strategy items { rank score product { productId title } } } }"""
GQL_RECOMMEND_BASKET = """query B($basket: [ID!]!) { recommendations(basket: $basket, first: 10) {
  strategy items { rank score product { productId title } } } }"""
GQL_SEARCH = """query S($q: String!) { products(search: $q, first: 20) {
  edges { score node { productId title price } } } }"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of steady load at least")
    parser.add_argument("--rate", type=float, default=0.0, help="requests/s; 0: ramp first")
    parser.add_argument("--rate-share", type=float, default=0.65, help="share of the ramp's maximum")
    parser.add_argument("--ramp", default="5,10,20,30,40,60,80", help="open-loop rates of the ramp")
    parser.add_argument("--ramp-step", type=float, default=20.0, help="seconds per ramp step")
    parser.add_argument("--retrain-at", type=float, default=180.0, help="seconds into the soak")
    parser.add_argument("--no-retrain", action="store_true")
    parser.add_argument(
        "--write-only",
        action="store_true",
        help="instead of a whole retrain, replay its write step alone (bench/soak_write.py)",
    )
    parser.add_argument(
        "--retrain-epochs", type=int, default=0, help="epoch cap of the soak's retrain (0: the pipeline's)"
    )
    parser.add_argument(
        "--prepare-epochs", type=int, default=5, help="epoch cap of the preparing retrain (a model to serve)"
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="skip the write path's warm-up that `affinity db start` runs (stores.versions.warm_up_writes)",
    )
    parser.add_argument("--after", type=float, default=60.0, help="seconds of load after the retrain")
    parser.add_argument(
        "--warmup",
        type=float,
        default=30.0,
        help="seconds at the start left out of the 'outside the retrain' baseline (cold API and caches)",
    )
    parser.add_argument("--max-duration", type=float, default=900.0, help="stop here even mid-retrain")
    parser.add_argument("--data-dir", type=Path, help="keep (or reuse) the prepared graph here")
    parser.add_argument("--worker-nice", type=int, default=0, help="AFFINITY_WORKER_NICE")
    parser.add_argument("--worker-threads", type=int, default=0, help="AFFINITY_WORKER_THREADS (0: unset)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "soak.png")
    parser.add_argument("--label", default="", help="a note for the report (what differs in this run)")
    return parser.parse_args()


#: Set by :func:`main` (from the command line), so importing this module changes nothing.
ARGS = argparse.Namespace()
DATA_DIR = Path()


def configure(args: argparse.Namespace) -> Path:
    """Isolated servers on free ports for this run: the AFFINITY_* variables; returns the data dir."""
    run_dir = isolate("soak", heap="1g", pagecache="512m")
    data_dir = args.data_dir.resolve() if args.data_dir else run_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    redis, api = free_port(), free_port()
    os.environ.update(
        {
            "AFFINITY_DATA_DIR": str(data_dir),
            "AFFINITY_MODEL_DIR": str(data_dir / "models"),
            "AFFINITY_REDIS_PORT": str(redis),
            "AFFINITY_BROKER_URL": f"redis://127.0.0.1:{redis}/0",
            "AFFINITY_API_PORT": str(api),
            "AFFINITY_WORKER_NICE": str(args.worker_nice),
        }
    )
    if args.worker_threads:
        os.environ["AFFINITY_WORKER_THREADS"] = str(args.worker_threads)
    return data_dir


@dataclass(slots=True)
class Sample:
    at: float  # scheduled send time, seconds from the start of the phase
    kind: str
    ms: float
    outcome: str  # "ok" or an error type


@dataclass(slots=True)
class Retrain:
    submitted: float | None = None
    ended: float | None = None
    state: str = ""
    job_id: str = ""
    steps: list[tuple[float, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# Processes


def spawn(args: list[str], name: str) -> subprocess.Popen[bytes]:
    handle = (DATA_DIR / f"{name}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: stopped with its pool, never by name
    )


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)


def wait_ready(settings: Settings, api: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{settings.api_port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if api.poll() is not None:
            break
        time.sleep(0.3)
    raise SystemExit(f"the API did not start; see {DATA_DIR / 'api.log'}")


def rss_mb(pid: int | None, children: bool = True) -> float:
    if pid is None:
        return float("nan")
    try:
        process = psutil.Process(pid)
        procs = [process, *(process.children(recursive=True) if children else [])]
        return float(sum(p.memory_info().rss for p in procs)) / 2**20
    except psutil.Error:
        return float("nan")


def cpu_s(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    try:
        process = psutil.Process(pid)
        total = 0.0
        for p in (process, *process.children(recursive=True)):
            times = p.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return float("nan")


def pids(settings: Settings, api: subprocess.Popen[bytes], worker: subprocess.Popen[bytes]) -> dict[str, int]:
    found = {"API": api.pid, "worker": worker.pid}
    neo = neo4j_server.read_pid(neo4j_server.paths_for(settings))
    red = read_pid_file(redis_server.pid_file(settings))
    if neo is not None:
        found["Neo4j"] = neo
    if red is not None:
        found["Redis"] = red
    return found


# ---------------------------------------------------------------------------------------------
# Preparation


def prepare(settings: Settings, worker: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Convert, ingest and observe the shipped data, then one retrain through the worker."""
    from ingest.associations import observe
    from ingest.online_retail import load_online_retail, write_input_files
    from ingest.pipeline import ingest_paths

    timings: dict[str, float] = {}
    started = time.perf_counter()
    dataset = DATA_DIR / "online-retail"
    write_input_files(load_online_retail(settings.dataset_path), dataset)
    timings["convert"] = time.perf_counter() - started
    driver = connect(settings, wait_s=60)
    try:
        migrate(driver, settings.neo4j_database)
        started = time.perf_counter()
        ingest_paths(driver, settings.neo4j_database, [dataset], batch_size=settings.ingest_batch_size)
        timings["ingest"] = time.perf_counter() - started
        log(f"ingested in {timings['ingest']:.0f} s")
        started = time.perf_counter()
        observe(
            driver,
            settings.neo4j_database,
            min_support=settings.min_support_baskets,
            batch_size=settings.ingest_batch_size,
        )
        timings["observe"] = time.perf_counter() - started
        log(f"observed in {timings['observe']:.0f} s")
    finally:
        driver.close()
    started = time.perf_counter()
    options = {"epochs": ARGS.prepare_epochs, "force_activate": True}
    try:
        job_id = dispatch.submit_retrain(settings, options)
    except jobs.JobConflictError:
        # A retrain of an interrupted preparation: no worker runs it now (this one is fresh), so let
        # the submission take it for abandoned at once.
        job_id = dispatch.submit_retrain(settings.model_copy(update={"job_stale_after_s": 0}), options)
    info = wait_job(settings, job_id, worker, 1800)
    timings["first retrain"] = time.perf_counter() - started
    if info.state != "succeeded":
        raise SystemExit(f"the first retrain failed: {info.error}")
    log(f"first retrain in {timings['first retrain']:.0f} s")
    return {"timings": timings, "job": job_id}


def wait_job(settings: Settings, job_id: str, worker: subprocess.Popen[bytes], timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    driver = connect(settings, wait_s=10)
    try:
        while time.monotonic() < deadline:
            info = jobs.get(driver, settings.neo4j_database, job_id)
            if info is not None and info.state in ("succeeded", "failed"):
                return info
            if worker.poll() is not None:
                raise SystemExit(f"the worker died; see {DATA_DIR / 'worker.log'}")
            time.sleep(1)
    finally:
        driver.close()
    raise SystemExit(f"job {job_id} did not end in {timeout_s:.0f} s")


def workload() -> tuple[list[str], list[str], list[str]]:
    """Product ids, customer ids and search words of the converted data."""
    dataset = DATA_DIR / "online-retail"
    products, words = [], Counter[str]()
    with (dataset / "products.jsonl").open() as handle:
        for line in handle:
            record = json.loads(line)
            products.append(str(record["id"]))
            words.update(w.lower() for w in re.findall(r"[A-Za-z]{4,}", str(record["title"])))
    customers: set[str] = set()
    lines = dataset / "order_lines.csv.gz"
    with gzip.open(lines, "rt") if lines.exists() else (dataset / "order_lines.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row.get("customer_id"):
                customers.add(row["customer_id"])
    common = [w for w, n in words.most_common(400) if n >= 3]
    return products, sorted(customers), common


# ---------------------------------------------------------------------------------------------
# Load


class Load:
    def __init__(self, settings: Settings, products: list[str], customers: list[str], words: list[str]):
        self.rng = random.Random(11)
        self.products, self.customers, self.words = products, customers, words
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{settings.api_port}",
            headers={"X-API-Key": settings.api_keys_read[0]},
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
            timeout=30,
        )

    def request(self) -> tuple[str, dict[str, Any]]:
        kind = self.rng.choices(KINDS, WEIGHTS)[0]
        if kind == "associations":
            return kind, {"query": GQL_ASSOCIATIONS, "variables": {"id": self.rng.choice(self.products)}}
        if kind == "recommendations":
            if self.rng.random() < 0.5:
                return kind, {
                    "query": GQL_RECOMMEND_CUSTOMER,
                    "variables": {"id": self.rng.choice(self.customers)},
                }
            basket = self.rng.sample(self.products, self.rng.randint(1, 4))
            return kind, {"query": GQL_RECOMMEND_BASKET, "variables": {"basket": basket}}
        return kind, {"query": GQL_SEARCH, "variables": {"q": self.rng.choice(self.words)}}

    async def one(self, t0: float, at: float, kind: str, body: dict[str, Any], out: list[Sample]) -> None:
        outcome = "ok"
        try:
            response = await self.client.post("/graphql", json=body)
            if response.status_code != 200:
                outcome = f"http {response.status_code}"
            else:
                errors = response.json().get("errors")
                if errors:
                    code = (errors[0].get("extensions") or {}).get("code", "GRAPHQL")
                    outcome = f"graphql {code}"
        except httpx.TimeoutException:
            outcome = "client timeout (30 s)"
        except httpx.TransportError as error:
            outcome = f"transport {type(error).__name__}"
        out.append(Sample(at, kind, (time.perf_counter() - t0 - at) * 1000, outcome))

    async def run(self, rate: float, seconds: float, out: list[Sample], until: Any = None) -> float:
        """Offer ``rate`` requests/s for ``seconds`` (longer while ``until()`` is false); wait for all."""
        interval = 1.0 / rate
        t0 = time.perf_counter()
        tasks: set[asyncio.Task[None]] = set()
        n = 0
        while True:
            at = n * interval
            if at >= seconds and (until is None or until(at)):
                break
            delay = t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            kind, body = self.request()
            task = asyncio.create_task(self.one(t0, at, kind, body, out))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        if tasks:
            await asyncio.gather(*tasks)
        return time.perf_counter() - t0

    async def close(self) -> None:
        await self.client.aclose()


async def ramp(load: Load, rates: list[float], step_s: float) -> tuple[float, list[dict[str, Any]]]:
    steps, best = [], 0.0
    for rate in rates:
        samples: list[Sample] = []
        elapsed = await load.run(rate, step_s, samples)
        lat = [s.ms for s in samples]
        errors = sum(s.outcome != "ok" for s in samples)
        step = {
            "rate": rate,
            "answered_rps": len(samples) / elapsed,
            "p50": percentile(lat, 50),
            "p95": percentile(lat, 95),
            "p99": percentile(lat, 99),
            "errors": errors,
            "drain_s": elapsed - step_s,
            "load": os.getloadavg()[0],
        }
        steps.append(step)
        log(
            f"ramp {rate:g}/s: p50 {step['p50']:.0f} p95 {step['p95']:.0f} p99 {step['p99']:.0f} ms, "
            f"{errors} errors, drained in {step['drain_s']:.1f} s"
        )
        sustained = errors == 0 and step["p95"] < 1000 and step["drain_s"] < 2.0
        if not sustained:
            break
        best = rate
        await asyncio.sleep(3)  # let the queue settle between steps
    return best, steps


async def soak(
    settings: Settings,
    load: Load,
    rate: float,
    procs: dict[str, int],
    worker: subprocess.Popen[bytes],
) -> dict[str, Any]:
    samples: list[Sample] = []
    retrain = Retrain()
    windows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    cpu0 = {name: cpu_s(pid) for name, pid in procs.items()}
    rss_start = {name: rss_mb(pid) for name, pid in procs.items()}

    async def follow_retrain() -> None:
        await asyncio.sleep(ARGS.retrain_at)
        retrain.submitted = time.perf_counter() - t0
        options: dict[str, Any] = {"epochs": ARGS.retrain_epochs} if ARGS.retrain_epochs else {}
        retrain.job_id = await asyncio.to_thread(dispatch.submit_retrain, settings, options)
        log(f"retrain {retrain.job_id} submitted at {retrain.submitted:.0f} s")
        driver = await asyncio.to_thread(connect, settings, 10)
        try:
            while True:
                info = await asyncio.to_thread(jobs.get, driver, settings.neo4j_database, retrain.job_id)
                now = time.perf_counter() - t0
                if info is not None:
                    if not retrain.steps or retrain.steps[-1][1] != info.step:
                        retrain.steps.append((now, info.step))
                    if info.state in ("succeeded", "failed"):
                        retrain.ended, retrain.state = now, info.state
                        retrain.timings = dict(info.timings or {})
                        log(f"retrain {info.state} at {now:.0f} s")
                        return
                if worker.poll() is not None:
                    retrain.ended, retrain.state = now, "worker died"
                    return
                await asyncio.sleep(1)
        finally:
            await asyncio.to_thread(driver.close)

    async def follow_write_replay() -> None:
        # The write step alone, in its own process as in the worker: "start-up" while the process
        # gets to where a warm worker starts the step, "write" until the step function returns,
        # then "clean-up" while the scratch version's edges are removed.
        await asyncio.sleep(ARGS.retrain_at)
        retrain.submitted = time.perf_counter() - t0
        retrain.steps.append((retrain.submitted, "start-up"))
        replay = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "soak_write.py"), stdout=asyncio.subprocess.PIPE
        )
        assert replay.stdout is not None
        async for raw in replay.stdout:
            phase, seconds, *_ = raw.decode().split(" ", 2)
            retrain.timings[phase] = float(seconds)
            step = {"ready": "write", "written": "clean-up"}.get(phase)
            if step is not None:
                retrain.steps.append((time.perf_counter() - t0, step))
        code = await replay.wait()
        retrain.ended = time.perf_counter() - t0
        retrain.state = "succeeded" if code == 0 else f"failed (exit status {code})"
        log(f"write replay {retrain.state} at {retrain.ended:.0f} s: {retrain.timings}")

    async def sample_windows() -> None:
        last_cpu = dict(cpu0)
        while True:
            await asyncio.sleep(WINDOW_S)
            now = time.perf_counter() - t0
            cpu = {name: cpu_s(pid) for name, pid in procs.items()}
            windows.append(
                {
                    "end": now,
                    "load": os.getloadavg()[0],
                    "rss": {name: rss_mb(pid) for name, pid in procs.items()},
                    "cpu": {name: (cpu[name] - last_cpu[name]) / WINDOW_S for name in procs},
                }
            )
            last_cpu = cpu

    def done(at: float) -> bool:
        if ARGS.no_retrain:
            return True
        if at >= ARGS.max_duration:
            return True
        return retrain.ended is not None and at >= retrain.ended + ARGS.after

    follower = (
        None
        if ARGS.no_retrain
        else asyncio.create_task(follow_write_replay() if ARGS.write_only else follow_retrain())
    )
    sampler = asyncio.create_task(sample_windows())
    elapsed = await load.run(rate, ARGS.duration, samples, until=done)
    sampler.cancel()
    if follower is not None and not follower.done():
        follower.cancel()
    cpu1 = {name: cpu_s(pid) for name, pid in procs.items()}
    return {
        "samples": samples,
        "retrain": retrain,
        "windows": windows,
        "elapsed": elapsed,
        "rss_start": rss_start,
        "rss_end": {name: rss_mb(pid) for name, pid in procs.items()},
        "cpu_share": {name: (cpu1[name] - cpu0[name]) / elapsed for name in procs},
    }


# ---------------------------------------------------------------------------------------------
# Report


def summarise(samples: list[Sample]) -> dict[str, Any]:
    lat = [s.ms for s in samples]
    return {
        "n": len(samples),
        "errors": sum(s.outcome != "ok" for s in samples),
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "max": max(lat, default=float("nan")),
    }


def step_at(retrain: Retrain, t: float) -> str:
    if retrain.submitted is None or t < retrain.submitted:
        return ""
    if retrain.ended is not None and t >= retrain.ended:
        return ""
    current = "queued"
    for at, step in retrain.steps:
        if at <= t:
            current = step
    return current


def plot(result: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    samples: list[Sample] = result["samples"]
    retrain: Retrain = result["retrain"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ok = [s for s in samples if s.outcome == "ok"]
    ax.scatter([s.at for s in ok], [s.ms for s in ok], s=1, alpha=0.15, color="grey", label="each request")
    edges = [i * 10.0 for i in range(int(result["elapsed"] // 10) + 1)]
    for q, colour in ((50, "tab:blue"), (99, "tab:red")):
        xs, ys = [], []
        for start in edges:
            window = [s.ms for s in samples if start <= s.at < start + 10]
            if window:
                xs.append(start + 5)
                ys.append(percentile(window, q))
        ax.plot(xs, ys, color=colour, label=f"p{q} per 10 s")
    if retrain.submitted is not None:
        ax.axvspan(retrain.submitted, retrain.ended or result["elapsed"], color="orange", alpha=0.15)
        ax.annotate("retrain", (retrain.submitted + 2, 0.97), xycoords=("data", "axes fraction"), va="top")
    errors = [s for s in samples if s.outcome != "ok"]
    if errors:
        ax.scatter([s.at for s in errors], [s.ms for s in errors], s=8, color="black", label="errors")
    ax.set_yscale("log")
    ax.set_xlabel("seconds into the soak")
    ax.set_ylabel("latency (ms, from scheduled send)")
    ax.set_title(f"Soak: {result['rate']:g} req/s open loop, mixed reads; retrain shaded")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def report(result: dict[str, Any], meta: dict[str, Any]) -> str:
    samples: list[Sample] = result["samples"]
    retrain: Retrain = result["retrain"]
    total = summarise(samples)
    errors = Counter(s.outcome for s in samples if s.outcome != "ok")
    if retrain.submitted is not None:
        end = retrain.ended if retrain.ended is not None else result["elapsed"]
        inside = [s for s in samples if retrain.submitted <= s.at < end]
        outside = [s for s in samples if not retrain.submitted <= s.at < end and s.at >= ARGS.warmup]
    else:
        inside, outside = [], [s for s in samples if s.at >= ARGS.warmup]
    sin, sout = summarise(inside), summarise(outside)
    ratio = sin["p99"] / sout["p99"] if inside and outside else float("nan")
    lines = [
        "## Load (soak)",
        "",
        f"Command: `{meta['command']}`" + (f" ({meta['label']})" if meta["label"] else ""),
        "",
        f"Machine: {machine()}. Load average at start {meta['load_start']:.2f} "
        f"(other engineers' tests and training shared the 2 cores), at end {os.getloadavg()[0]:.2f}. "
        "Everything on the same cores: Neo4j 5.26 (heap 1g, page cache 512m), Redis, one Celery worker "
        f"(`affinity worker --queues gpu,io`, `AFFINITY_WORKER_NICE={ARGS.worker_nice}`, "
        f"`AFFINITY_WORKER_THREADS={ARGS.worker_threads or 'unset'}`), the API (one uvicorn worker) and "
        "the load generator (httpx, asyncio). Data: the shipped Online Retail graph (3,629 products, "
        "14,201 orders), observed co-purchases and an active model from one earlier retrain.",
        "",
        f"Load: open loop at **{meta['rate']:g} requests/s** (fixed arrival interval; latency counted "
        "from each request's scheduled send, so queueing shows), mix associations 50% / recommendations "
        "30% (half by customer, half by a basket of 1-4 products) / product full-text search 20%, "
        f"for **{result['elapsed']:.0f} s** ({total['n']:,} requests). "
        + (
            f"Rate chosen as {ARGS.rate_share:.0%} of the ramp's highest sustained step "
            f"({meta['ramp_max']:g}/s; steps below)."
            if meta["ramp"]
            else "Rate given on the command line."
        ),
        "",
    ]
    if meta["ramp"]:
        lines += [
            f"| ramp step ({ARGS.ramp_step:.0f} s) | answered/s | p50 ms | p95 ms | p99 ms | errors | "
            "drain s | load |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for step in meta["ramp"]:
            lines.append(
                f"| {step['rate']:g}/s | {step['answered_rps']:.1f} | {step['p50']:.0f} | {step['p95']:.0f} "
                f"| {step['p99']:.0f} | {step['errors']} | {step['drain_s']:.1f} | {step['load']:.1f} |"
            )
        lines.append("")
    retrain_line = "no retrain"
    if retrain.submitted is not None:
        took = (retrain.ended or result["elapsed"]) - retrain.submitted
        steps = ", ".join(f"{k} {v:.0f}" for k, v in retrain.timings.items())
        if retrain.ended is None:
            last = retrain.steps[-1][1] if retrain.steps else "queued"
            retrain_line = (
                f"retrain submitted at {retrain.submitted:.0f} s, still in step {last} when the soak "
                f"ended ({took:.0f} s)"
            )
        else:
            retrain_line = (
                f"retrain submitted at {retrain.submitted:.0f} s, {retrain.state} at "
                f"{retrain.ended:.0f} s ({took:.0f} s; step seconds: {steps})"
            )
    lines += [
        f"**Errors: {total['errors']}** of {total['n']:,}"
        + (" (" + ", ".join(f"{k}: {v}" for k, v in errors.most_common()) + ")" if errors else "")
        + f". {retrain_line.capitalize()}.",
        "",
        "| requests | n | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    warmup = summarise([x for x in samples if x.at < ARGS.warmup])
    rows = (
        ("all", total),
        (f"warm-up (first {ARGS.warmup:.0f} s, not in the baseline)", warmup),
        ("outside the retrain (after the warm-up)", sout),
        ("during the retrain", sin),
    )
    for label, s in rows:
        lines.append(
            f"| {label} | {s['n']:,} | {s['errors']} | {s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} "
            f"| {s['max']:.0f} |"
        )
    for kind, _ in MIX:
        s = summarise([x for x in samples if x.kind == kind])
        lines.append(
            f"| {kind} | {s['n']:,} | {s['errors']} | {s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} "
            f"| {s['max']:.0f} |"
        )
    lines += [
        "",
        f"**p99 during the retrain / outside it: {ratio:.2f}x** (requirement: at most 2x).",
        "",
        "Per retrain step (requests by the step running at their scheduled send; ratio: p99 over the "
        "p99 outside the retrain, warm-up left out):",
        "",
        "| step | n | errors | p50 ms | p95 ms | p99 ms | p99 / outside |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_step: dict[str, list[Any]] = {}
    for x in samples:
        step = step_at(retrain, x.at) or ("warm-up" if x.at < ARGS.warmup else "outside")
        by_step.setdefault(step, []).append(x)
    for step, chosen in by_step.items():
        s = summarise(chosen)
        lines.append(
            f"| {step} | {s['n']:,} | {s['errors']} | {s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} "
            f"| {s['p99'] / sout['p99']:.2f}x |"
        )
    lines += [
        "",
        "Latency over time (30-s windows by scheduled send time; load average and CPU use sampled at "
        "the window's end, CPU in cores):",
        "",
        "| window (s) | n | errors | p50 ms | p95 ms | p99 ms | retrain step | load | CPU API | CPU Neo4j "
        "| CPU worker |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for i, window in enumerate(result["windows"]):
        start = i * WINDOW_S
        inside_w = [s for s in samples if start <= s.at < start + WINDOW_S]
        if not inside_w:
            continue
        s = summarise(inside_w)
        active_steps = sorted({step_at(retrain, x.at) for x in inside_w} - {""})
        cpu = window["cpu"]
        lines.append(
            f"| {start:.0f}-{start + WINDOW_S:.0f} | {s['n']} | {s['errors']} | {s['p50']:.0f} | "
            f"{s['p95']:.0f} | {s['p99']:.0f} | {', '.join(active_steps)} | {window['load']:.1f} | "
            f"{cpu.get('API', 0):.2f} | {cpu.get('Neo4j', 0):.2f} | {cpu.get('worker', 0):.2f} |"
        )
    lines += [
        "",
        "Memory (RSS; the worker with its pool process, the API with its uvicorn process):",
        "",
        "| process | RSS at start (MB) | RSS at end (MB) | mean CPU (cores) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in result["rss_start"]:
        lines.append(
            f"| {name} | {result['rss_start'][name]:,.0f} | {result['rss_end'][name]:,.0f} | "
            f"{result['cpu_share'][name]:.2f} |"
        )
    if meta["plot"]:
        lines += ["", f"![soak latency over time]({meta['plot']})"]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the '## Load (soak)' section of ``path`` (re-read now: others edit other sections)."""
    text = path.read_text() if path.exists() else "# Reliability\n"
    start = text.find("## Load (soak)")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + 1)
        rest = text[following + 1 :] if following >= 0 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    path.write_text(text)


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # `timeout` sends SIGTERM: run the clean-up in `finally`


def main() -> None:
    global ARGS, DATA_DIR
    ARGS = parse_args()
    DATA_DIR = configure(ARGS)
    signal.signal(signal.SIGTERM, _terminated)
    get_settings.cache_clear()
    settings = get_settings()
    load_start = os.getloadavg()[0]
    log(f"data dir {DATA_DIR}; load average {load_start:.2f}")
    worker = api = None
    started_neo4j = started_redis = False
    try:
        neo4j_server.start(settings)
        started_neo4j = True
        redis_server.start(settings, install=False)
        started_redis = True
        driver = connect(settings, wait_s=60)
        try:
            migrate(driver, settings.neo4j_database)
            if not ARGS.no_warm_up:  # as `affinity db start` does
                started = time.perf_counter()
                written = versions.warm_up_writes(driver, settings.neo4j_database)
                log(f"write path warmed up: {written} scratch edges in {time.perf_counter() - started:.1f} s")
        finally:
            driver.close()
        worker = spawn(["worker", "--queues", "gpu,io", "--loglevel", "warning"], "worker")
        marker = DATA_DIR / PREPARED
        if not marker.exists():
            marker.write_text(json.dumps(prepare(settings, worker)))
        api = spawn(["serve", "--port", str(settings.api_port), "--log-level", "warning"], "api")
        wait_ready(settings, api)
        products, customers, words = workload()
        procs = pids(settings, api, worker)
        log(f"{len(products)} products, {len(customers)} customers, {len(words)} words; pids {procs}")

        async def go() -> tuple[dict[str, Any], float, list[dict[str, Any]], float]:
            load = Load(settings, products, customers, words)
            try:
                await load.run(5, 10, [])  # warm-up
                best, steps = 0.0, list[dict[str, Any]]()
                rate = ARGS.rate
                if not rate:
                    best, steps = await ramp(load, [float(r) for r in ARGS.ramp.split(",")], ARGS.ramp_step)
                    rate = max(1.0, round(ARGS.rate_share * best))
                    await asyncio.sleep(10)
                log(f"soak at {rate:g}/s")
                return await soak(settings, load, rate, procs, worker), rate, steps, best
            finally:
                await load.close()

        result, rate, steps, best = asyncio.run(go())
        result["rate"] = rate
    finally:
        stop_process(api)
        stop_process(worker)
        if started_redis:
            redis_server.stop(settings)
        if started_neo4j:
            neo4j_server.stop(settings)
    plotted = plot(result, ARGS.plot)
    meta = {
        "command": " ".join(["bench/soak.py", *map(shlex.quote, sys.argv[1:])]),
        "label": ARGS.label,
        "load_start": load_start,
        "rate": rate,
        "ramp": steps,
        "ramp_max": best,
        "plot": os.path.relpath(ARGS.plot, ARGS.out.parent) if plotted else "",
    }
    text = report(result, meta)
    raw = {
        "meta": meta,
        "retrain": asdict(result["retrain"]),
        "windows": result["windows"],
        "samples": [(s.at, s.kind, s.ms, s.outcome) for s in result["samples"]],
    }
    (DATA_DIR / "soak.json").write_text(json.dumps(raw, default=str))
    write_section(ARGS.out, text)
    print(text)


if __name__ == "__main__":
    main()
