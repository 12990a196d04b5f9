"""Wall time of ``affinity retrain --wait`` on a prepared graph, per pipeline step, over several runs.

    .venv/bin/python bench/bench_retrain.py --data-dir var/soak/data [--runs 3] [--out FILE]

``--data-dir`` holds a graph that ``bench/soak.py --data-dir DIR`` prepared (the shipped Online Retail
data converted, ingested and observed, one retrain done). Neo4j (heap 1g, page cache 512m, as in the
soak), Redis and one worker (``affinity worker --queues gpu,io``) are started on free ports through
the CLI, the same commands an operator runs; nothing serves reads. Each run is one
``affinity retrain --wait --json``: the table gives every step's seconds (the job's own timings) and
the wall time of the command, per run and their median.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, isolate, machine, write_report  # noqa: E402

STEPS = ("observe", "export", "embed", "train", "evaluate", "write", "activate", "prune")


def affinity(*args: str, timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
    """One CLI command; a failure stops the benchmark with the command's own output."""
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"`affinity {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done


def configure(data_dir: Path) -> None:
    isolate("retrain", heap="1g", pagecache="512m")  # free Neo4j ports and a test password
    redis = free_port()
    os.environ.update(
        {
            "AFFINITY_DATA_DIR": str(data_dir),
            "AFFINITY_MODEL_DIR": str(data_dir / "models"),
            "AFFINITY_REDIS_PORT": str(redis),
            "AFFINITY_BROKER_URL": f"redis://127.0.0.1:{redis}/0",
        }
    )


def one_retrain() -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = affinity("retrain", "--wait", "--json", timeout_s=1800)
    wall = time.perf_counter() - started
    job: dict[str, Any] = json.loads(done.stdout)
    if job.get("state") != "succeeded":
        raise SystemExit(f"retrain {job.get('id')} ended {job.get('state')}: {job.get('error')}")
    return wall, job


def report(runs: list[tuple[float, dict[str, Any]]], command: str, load: float) -> str:
    header = "| step | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " | median |"
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}. Load average at start {load:.2f}.",
        "",
        header,
        "| --- |" + " ---: |" * (len(runs) + 1),
    ]
    for step in STEPS:
        values = [float(job["timings"].get(step, 0.0)) for _, job in runs]
        cells = " | ".join(f"{v:.1f}" for v in values)
        lines.append(f"| {step} | {cells} | {statistics.median(values):.1f} |")
    walls = [wall for wall, _ in runs]
    cells = " | ".join(f"**{w:.1f}**" for w in walls)
    lines.append(
        f"| **wall time of `affinity retrain --wait`** | {cells} | **{statistics.median(walls):.1f}** |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="a graph bench/soak.py prepared")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    if not (args.data_dir / "neo4j").is_dir():
        raise SystemExit(
            f"{args.data_dir} holds no prepared graph: run bench/soak.py --data-dir {args.data_dir} first"
        )
    configure(args.data_dir.resolve())
    command = " ".join(["bench/bench_retrain.py", *sys.argv[1:]])
    load = os.getloadavg()[0]
    worker = None
    affinity("db", "start", timeout_s=300)
    try:
        affinity("broker", "start", "--no-install")
        with (args.data_dir / "worker.log").open("ab") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "worker", "--queues", "gpu,io", "--loglevel", "warning"],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        runs = []
        for i in range(args.runs):
            runs.append(one_retrain())
            print(f"run {i + 1}: {runs[-1][0]:.1f} s", flush=True)
        write_report(args.out, report(runs, command, load))
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, 15)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=60)
        with contextlib.suppress(SystemExit):
            affinity("broker", "stop")
        affinity("db", "stop", timeout_s=300)


if __name__ == "__main__":
    main()
