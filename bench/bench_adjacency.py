"""GraphSAGE training step: the CSR adjacency against PyG's gather-scatter over the edge list.

    .venv/bin/python bench/bench_adjacency.py [--sizes 30000,100000,300000,1000000]
                                              [--edge-list-max 1000000] [--runs 3] [--out FILE]

One training step of the default encoder (GraphSAGE, hidden 64, 2 layers, the worker's feature
width 649) on a random graph with 37 edges a product (the density of ``bench/bench_scaling.py``'s
catalogues): forward over every node, a loss on 1,024 query rows against 1,024 candidates,
backward and an Adam step. ``csr`` is what :class:`training.models.sage.SAGEEncoder` does (one CSR
matrix a forward pass, a sparse-dense product a layer); ``edge_list`` is the same encoder with the
edge list handed to the layers, so PyG gathers one message per edge. Each (mode, size) runs in its
own process, so its peak RSS is its own ("working": the peak less the process's RSS once torch is
imported, i.e. graph, features, model and step); the step time is the median of ``--runs`` after a warm-up.
The edge list is not run above ``--edge-list-max`` products (default: every size): its messages
(E x 64 floats a layer, kept for backward) took 15.7 GB of working memory at 1M products on the
24 GB development machine, against 8.7 GB for the CSR path.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import median_time, torch_machine, write_report  # noqa: E402

FEATURES, HIDDEN, EDGES_PER_PRODUCT = 649, 64, 37


def one(mode: str, n: int, runs: int, threads: int) -> dict[str, float | int | str]:
    """Time one (mode, size) in this process; returns its figures."""
    import psutil
    import torch

    from training.models import build_encoder

    torch.set_num_threads(threads)
    imported_mb = psutil.Process().memory_info().rss / 2**20
    generator = torch.Generator().manual_seed(0)
    edge_index = torch.randint(0, n, (2, EDGES_PER_PRODUCT * n), generator=generator)
    x = torch.randn(n, FEATURES, generator=generator)
    encoder = build_encoder("sage", FEATURES, hidden_channels=HIDDEN, out_channels=HIDDEN)
    if mode == "edge_list":
        encoder.adjacency = lambda edge_index, num_nodes: edge_index  # type: ignore[method-assign]
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)

    def step() -> None:
        z = encoder(x, edge_index)
        queries = torch.randint(0, n, (1024,), generator=generator)
        candidates = torch.randint(0, n, (1024,), generator=generator)
        logits = z[queries] @ z[candidates].T
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(1024))
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()

    seconds, times = median_time(step, runs)
    return {
        "mode": mode,
        "products": n,
        "edges": int(edge_index.shape[1]),
        "step_s": seconds,
        "times": json.dumps([round(t, 3) for t in times]),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "working_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - imported_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="30000,100000,300000,1000000")
    parser.add_argument("--edge-list-max", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--one", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.runs, args.threads)))
        return
    import torch

    torch.set_num_threads(args.threads)  # what the header reports; each child sets its own too
    rows: dict[int, dict[str, dict[str, float | int | str]]] = {}
    for n in (int(s) for s in args.sizes.split(",") if s):
        for mode in ("edge_list", "csr") if n <= args.edge_list_max else ("csr",):
            command = [sys.executable, __file__, "--one", mode, str(n), "--runs", str(args.runs)]
            command += ["--threads", str(args.threads)]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            rows.setdefault(n, {})[mode] = json.loads(output.strip().splitlines()[-1])
            print(f"{mode} {n:,}: {rows[n][mode]}", file=sys.stderr, flush=True)
    lines = [
        f"Machine: {torch_machine()}; median of {args.runs} steps after a warm-up (each in its own process).",
        "",
        "| products | edges | edge list: step | edge list: working memory | CSR: step "
        "| CSR: working memory | speed-up | memory ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, by_mode in rows.items():
        csr, edge = by_mode["csr"], by_mode.get("edge_list")
        if edge is None:
            edge_cells, ratios = "not run (memory) | —", "— | —"
        else:
            edge_cells = f"{float(edge['step_s']):.2f} s | {float(edge['working_mb']):,.0f} MB"
            ratios = (
                f"{float(edge['step_s']) / float(csr['step_s']):.1f}x "
                f"| {float(edge['working_mb']) / float(csr['working_mb']):.1f}x"
            )
        lines.append(
            f"| {n:,} | {int(csr['edges']):,} | {edge_cells} | {float(csr['step_s']):.2f} s "
            f"| {float(csr['working_mb']):,.0f} MB | {ratios} |"
        )
    write_report(args.out, "\n".join(lines))


if __name__ == "__main__":
    main()
