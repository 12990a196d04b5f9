"""Top-K scoring time and peak memory against catalogue size, up to 1,000,000 products.

    .venv/bin/python bench/bench_scoring.py [--sizes 10000,100000,1000000] [--queries 2048] [--k 20]

Synthetic unit embeddings (65-d like the GNN's key vectors, or ``--dim``). Each configuration runs
in a fresh subprocess so its peak resident memory (``ru_maxrss``) is its own. For every catalogue
size N, ``--queries`` source products are scored against all N with
:func:`training.recommender.top_k_dot` (blocks of queries, candidate chunks, a running top-K), the
time is extrapolated to all N sources, and it is compared in the same run with the naive way
(one dense ``(queries, N)`` score matrix and a full sort per row) where that fits in memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import torch_machine, write_report  # noqa: E402


def child(
    n: int, queries: int, k: int, dim: int, mode: str, block: int, chunk: int, runs: int, device: str
) -> dict[str, float]:
    from training.recommender import top_k_dot
    from training.synthetic import random_embeddings

    torch.set_num_threads(2)
    table_np = random_embeddings(n, dim, seed=0)
    # On a GPU the table is placed once; top_k_dot then scores on the device.
    table: np.ndarray | torch.Tensor = table_np if device == "cpu" else torch.from_numpy(table_np).to(device)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    q_idx = np.arange(min(queries, n))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        if mode == "blocked":
            for s in range(0, len(q_idx), block):
                q = q_idx[s : s + block]
                top_k_dot(table_np[q], table, k, exclude=q, chunk=chunk)
        else:  # naive: every query against every product at once, then a full sort
            scores = table_np[q_idx] @ table_np.T
            scores[np.arange(len(q_idx)), q_idx] = -np.inf
            np.argsort(-scores, axis=1)[:, :k]
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": float(np.median(times)),
        "peak_mb": peak / 1024,
        "table_mb": table_np.nbytes / 2**20,
        "extra_mb": max(0, peak - base_rss) / 1024,
        "gpu_peak_mb": torch.cuda.max_memory_allocated() / 2**20 if device != "cpu" else 0.0,
    }


def run_child(args: argparse.Namespace, n: int, mode: str) -> dict[str, float] | None:
    cmd = [
        sys.executable, __file__, "--child", str(n), "--mode", mode, "--queries", str(args.queries),
        "--k", str(args.k), "--dim", str(args.dim), "--block", str(args.block), "--chunk", str(args.chunk),
        "--runs", str(args.runs), "--device", str(args.device),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=2048)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--dim", type=int, default=65)
    parser.add_argument("--block", type=int, default=1024)
    parser.add_argument("--chunk", type=int, default=65536)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-max-bytes", type=float, default=2e9, help="skip larger naive runs")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda to score with the table on the GPU")
    parser.add_argument("--child", type=int)
    parser.add_argument("--mode", default="blocked")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child is not None:
        r = child(
            args.child,
            args.queries,
            args.k,
            args.dim,
            args.mode,
            args.block,
            args.chunk,
            args.runs,
            args.device,
        )
        print(json.dumps(r))
        return
    lines = [
        "### Top-K scoring against catalogue size",
        "",
        torch_machine(),
        "",
        f"Device {args.device}. {args.queries:,} source products scored against all N "
        f"(dim {args.dim}, K = {args.k}); blocked: "
        f"{args.block} sources x {args.chunk:,} candidates at a time with a running top-K; naive: one dense "
        f"(sources x N) matrix and a full sort. Median of {args.runs} runs; peak RSS of a fresh process "
        "holding the N x dim table (torch and numpy loaded: about 0.9 GB before any work); working memory: "
        "peak RSS above the process with the table loaded.",
        "",
        "| N | table (MB) | blocked (s) | per 1k sources (s) | all N sources, extrapolated "
        "| peak RSS (MB) | working memory (MB) | naive (s) | naive working memory (MB) | speed-up |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in (int(s) for s in args.sizes.split(",")):
        blocked = run_child(args, n, "blocked")
        if blocked is None:
            continue
        q = min(args.queries, n)
        naive = None
        if q * n * 4 <= args.naive_max_bytes and args.device == "cpu":
            naive = run_child(args, n, "naive")
        full = blocked["seconds"] * n / q
        full_text = f"{full:,.0f} s" if full < 3600 else f"{full / 3600:,.1f} h"
        naive_cells = (
            f"{naive['seconds']:.2f} | {naive['extra_mb']:,.0f} "
            f"| {naive['seconds'] / blocked['seconds']:.1f}x"
            if naive
            else f"— | would need {q * n * 4 / 2**30:,.1f} GiB | —"
        )
        lines.append(
            f"| {n:,} | {blocked['table_mb']:,.0f} | {blocked['seconds']:.2f} "
            f"| {1000 * blocked['seconds'] / q:.3f} "
            f"| {full_text} | {blocked['peak_mb']:,.0f} | {blocked['extra_mb']:,.0f} | {naive_cells} |"
            + (f" GPU peak {blocked['gpu_peak_mb']:,.0f} MB |" if args.device != "cpu" else "")
        )
        print(lines[-1], flush=True)
    write_report(args.out, "\n".join(lines))


if __name__ == "__main__":
    main()
