"""The retrain's stages against catalogue size: ingest, export, train, score and write-back.

    .venv/bin/python bench/bench_scaling.py [--sizes 10000,100000] [--score-sizes 1000000]
                                            [--write-cap 400000] [--epochs 2] [--steps 0]
                                            [--chunk-lines 1000000] [--train-max 1000000]
                                            [--json docs/scaling.json]
    .venv/bin/python bench/bench_scaling.py --report docs/scaling.json [--extrapolate 1000000]

For each size in ``--sizes`` a synthetic catalogue is generated as files in the documented input
format (``docs/ingest.md``): N products in N/100 themes, 2N orders of about 5 distinct products
(geometric sizes, 2 to 40; products drawn within the order's theme with a skewed popularity, plus 10%
noise), N/2 customers, 300 days. Then, each in a fresh isolated Neo4j (``bench.common``):

1. **ingest**: ``ingest.pipeline.ingest_paths`` (read, validate, batched ``UNWIND ... MERGE``), once
   for the catalogue and once for each slice of whole orders of about ``--chunk-lines`` lines, as a
   large catalogue is loaded (``docs/ingest.md``);
2. **export**: ``training.snapshot.from_neo4j`` (the pipeline's export step, paged);
3. **train**: the co-purchase graph of the fit period (``training.graph.build_graph``) and full-batch
   epochs of the GraphSAGE encoder (``training.train.train_epoch``, the worker's defaults: 20 steps
   an epoch); median of ``--epochs`` runs of ``--steps`` steps (0: a whole epoch) after a warm-up
   run, scaled to a 20-step epoch. Text features are random 384-d unit
   vectors (embedding texts is measured in ``docs/benchmarks.md``);
4. **score**: complement candidates by the GNN's vectors and substitutes by text cosine
   (``training.recommender.top_k_dot``, the kernel ``training.scoring`` runs), K = 20, over a
   sample of ``--score-sources`` source products, extrapolated linearly to all N;
5. **write-back**: ``stores.versions.write_edges`` (the pipeline's write step) of 2 x K x N
   ``ASSOCIATED`` rows, of which at most ``--write-cap`` are written and the rest extrapolated at the
   measured rate.

``--score-sizes`` runs step 4 alone (no Neo4j) at larger sizes. ``--report`` prints the Markdown
table of ``docs/scaling.md`` from saved JSON, with a row extrapolated from the largest measured size.
Each stage records its wall time, the peak RSS of this process above its level when the stage
began, and Neo4j's RSS at the end.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import isolate, machine, median_time, neo4j_running  # noqa: E402

RUN_DIR = isolate("scaling", heap="1g", pagecache="1g")

import psutil  # noqa: E402
import torch  # noqa: E402

from affinity.neo4j_server import paths_for, read_pid  # noqa: E402
from affinity.settings import get_settings  # noqa: E402
from graph_schema import AssociationKind  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402
from stores import versions  # noqa: E402
from training.graph import ContentEncoder, build_graph  # noqa: E402
from training.interactions import decay_weights  # noqa: E402
from training.models import build_model  # noqa: E402
from training.params import TrainParams  # noqa: E402
from training.recommender import top_k_dot  # noqa: E402
from training.sampling import NegativeSampler, PairSampler  # noqa: E402
from training.snapshot import CatalogueSnapshot, from_neo4j  # noqa: E402
from training.split import TimeSplit, make_split  # noqa: E402
from training.synthetic import random_embeddings  # noqa: E402
from training.train import embed_nodes, train_epoch  # noqa: E402

K = 20
_COLOURS = ("red", "blue", "green", "pink", "white", "black", "gold", "silver", "ivory", "teal")
_TYPES = ("mug", "candle", "bag", "card", "box", "lantern", "cushion", "tin", "sign", "frame", "clock")


def log(message: str) -> None:
    print(f"[scaling {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Peak:
    """Peak RSS of this process (sampled every 50 ms) above its RSS when the stage began."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.base = self.process.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def working_mb(self) -> float:
        return float(self.peak - self.base) / 2**20

    @property
    def peak_mb(self) -> float:
        return float(self.peak) / 2**20


def neo4j_rss_mb() -> float:
    pid = read_pid(paths_for(get_settings()))
    return psutil.Process(pid).memory_info().rss / 2**20 if pid else float("nan")


@contextmanager
def stage(results: dict[str, Any], name: str, neo4j: bool = True) -> Iterator[dict[str, Any]]:
    gc.collect()
    record: dict[str, Any] = {}
    log(f"{name} ...")
    with Peak() as peak:
        started = time.perf_counter()
        yield record
        record.setdefault("seconds", time.perf_counter() - started)
    record["peak_mb"], record["working_mb"] = peak.peak_mb, peak.working_mb
    if neo4j:
        record["neo4j_mb"] = neo4j_rss_mb()
    results[name] = record
    log(f"{name}: {json.dumps(record, default=str)}")


def generate(n: int, directory: Path, seed: int, chunk_lines: int, days: int = 300) -> dict[str, int]:
    """Files in the input format: ``catalogue/products.jsonl`` and ``catalogue/customers.jsonl``, then
    ``orders-NNN/order_lines.csv`` slices of whole orders, each of at most about ``chunk_lines`` lines."""
    rng = np.random.default_rng(seed)
    n_themes = max(10, n // 100)
    theme = rng.integers(0, n_themes, n)
    by_theme = np.argsort(theme, kind="stable")
    counts = np.bincount(theme, minlength=n_themes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    live = np.flatnonzero(counts)
    n_orders = 2 * n
    sizes = np.clip(rng.geometric(0.2, n_orders), 2, 40)
    order_of_line = np.repeat(np.arange(n_orders, dtype=np.int64), sizes)
    t = rng.choice(live, n_orders)[order_of_line]
    position = (rng.random(len(order_of_line)) ** 2.0 * counts[t]).astype(np.int64)
    product = by_theme[starts[t] + position]
    noise = rng.random(len(product)) < 0.1
    product[noise] = rng.integers(0, n, int(noise.sum()))
    keys = np.unique(order_of_line * n + product)
    order_of_line, product = keys // n, keys % n
    order_day = np.sort(rng.uniform(0, days, n_orders))
    stamps = np.datetime64("2011-01-01T00:00:00") + (order_day * 86400).astype("timedelta64[s]")
    ts = np.char.add(np.datetime_as_string(stamps, unit="s"), "Z")
    n_customers = max(1, n // 2)
    customer = rng.integers(0, n_customers, n_orders)
    price = np.round(rng.uniform(0.5, 20.0, n), 2)
    quantity = rng.integers(1, 13, len(product))
    shutil.rmtree(directory, ignore_errors=True)  # no slices left over from an earlier run
    catalogue = directory / "catalogue"
    catalogue.mkdir(parents=True)
    with (catalogue / "products.jsonl").open("w") as out:
        for i in range(n):
            colour, kind = _COLOURS[i % len(_COLOURS)], _TYPES[(i // 10) % len(_TYPES)]
            name = f"theme{theme[i]}"
            record = {
                "id": f"P{i:07d}",
                "title": f"{colour} {name} {kind} {i}".upper(),
                "description": f"a {kind} from the {name} range in {colour}",
                "price": float(price[i]),
                "tags": [f"theme:{name}", f"colour:{colour}", f"type:{kind}"],
                "category": ["Home", kind.title()],
            }
            out.write(json.dumps(record) + "\n")
    with (catalogue / "customers.jsonl").open("w") as out:
        out.writelines(f'{{"id": "C{c:07d}", "country": "UK"}}\n' for c in range(n_customers))
    # Lines are sorted by order, so cutting at order boundaries keeps every order in one slice.
    bounds = np.flatnonzero(np.diff(order_of_line)) + 1
    cuts = [
        0,
        *bounds[np.searchsorted(bounds, np.arange(chunk_lines, len(product), chunk_lines))],
        len(product),
    ]
    cuts = sorted(set(int(c) for c in cuts))
    for chunk, (start, stop) in enumerate(itertools.pairwise(cuts)):
        orders = directory / f"orders-{chunk:03d}"
        orders.mkdir(exist_ok=True)
        with (orders / "order_lines.csv").open("w") as out:
            out.write("order_id,customer_id,ts,product_id,quantity,unit_price\n")
            for o, p, q in zip(
                order_of_line[start:stop].tolist(),
                product[start:stop].tolist(),
                quantity[start:stop].tolist(),
                strict=True,
            ):
                out.write(f"O{o:08d},C{customer[o]:07d},{ts[o]},P{p:07d},{q},{price[p]}\n")
    return {
        "products": n,
        "orders": n_orders,
        "order_lines": len(product),
        "customers": n_customers,
        "order_files": len(cuts) - 1,
    }


def score(
    results: dict[str, Any], n: int, gnn: np.ndarray | None, sources: int, seed: int, neo4j: bool
) -> None:
    """Top-K complement candidates (GNN vectors) and substitutes (text cosine) for a sample of sources."""
    text = random_embeddings(n, seed=seed)
    vectors = gnn if gnn is not None else random_embeddings(n, 64, seed=seed + 1)
    sample = np.arange(min(sources, n), dtype=np.int64)
    with stage(results, "score", neo4j) as record:
        started = time.perf_counter()
        for start in range(0, len(sample), 1024):
            q = sample[start : start + 1024]
            top_k_dot(vectors[q], vectors, K, exclude=q)
            top_k_dot(text[q], text, K, exclude=q)
        sampled = time.perf_counter() - started
        record.update(
            sources=len(sample),
            sampled_s=sampled,
            seconds=sampled * n / len(sample),
            extrapolated=len(sample) < n,
        )


def train(results: dict[str, Any], snapshot: CatalogueSnapshot, epochs: int, steps: int) -> np.ndarray:
    """Graph build, then ``epochs`` timed runs of ``steps`` steps (after a warm-up run), scaled to an
    epoch of the worker's ``steps_per_epoch``."""
    full = TrainParams()
    params = TrainParams(steps_per_epoch=steps or full.steps_per_epoch)
    with stage(results, "train_graph") as record:
        split = TimeSplit.for_training(snapshot.time_range()[1], params.val_days)
        data = make_split(snapshot, split)
        ref = split.val_start.timestamp()
        text = random_embeddings(len(snapshot.products), seed=1)
        content = ContentEncoder.fit(snapshot.products, params.max_tags)
        graph = build_graph(snapshot.products, data.fit, ref, text, content, 60.0, params.max_neighbors)
        record.update(
            nodes=graph.num_nodes, edges=int(graph.edge_index.shape[1]), features=graph.num_features
        )
    with stage(results, "train_epoch") as record:
        torch.manual_seed(0)
        model = build_model(params, graph.num_features)
        optimizer = torch.optim.Adam(model.parameters(), lr=params.lr)
        pairs = PairSampler(data.fit, decay_weights(data.fit.ts, ref, params.pair_half_life_days or 120.0))
        negatives = NegativeSampler.create(data.fit)
        rng, generator = np.random.default_rng(0), torch.Generator().manual_seed(0)

        def one() -> float:
            return train_epoch(model, graph, pairs, negatives, optimizer, params, rng, generator)

        measured, _ = median_time(one, epochs)
        record["measured_s"], record["measured_steps"] = measured, params.steps_per_epoch
        record["seconds"] = measured * full.steps_per_epoch / params.steps_per_epoch
        record["steps"] = full.steps_per_epoch
    with stage(results, "train_embed") as record:
        vectors = embed_nodes(model, graph)
    return np.ascontiguousarray(vectors.key, dtype=np.float32)


def write_back(results: dict[str, Any], driver: Any, n: int, cap: int, seed: int) -> None:
    settings = get_settings()
    rng = np.random.default_rng(seed)
    total = 2 * K * n
    version = "scaling"
    versions.create_candidate(driver, settings.neo4j_database, version, {}, "", "bench")

    def rows() -> Iterator[dict[str, Any]]:
        made = 0
        for source in range(n):
            targets = rng.integers(0, n, 2 * K)
            for j, target in enumerate(targets.tolist()):
                if made >= cap:
                    return
                kind = (AssociationKind.COMPLEMENT if j < K else AssociationKind.SUBSTITUTE).value
                rank = j % K + 1
                yield {
                    "source": f"P{source:07d}",
                    "target": f"P{target:07d}",
                    "score": 1.0 - rank / (K + 1),
                    "rank": rank,
                    "kind": kind,
                }
                made += 1

    with stage(results, "write") as record:
        started = time.perf_counter()
        written, _ = versions.write_edges(
            driver, settings.neo4j_database, version, rows(), settings.write_batch_size, total
        )
        measured = time.perf_counter() - started
        record.update(
            edges=total,
            written=written,
            measured_s=measured,
            rate=written / measured,
            seconds=measured * total / written,
            extrapolated=written < total,
        )


def run_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"n": n, "load_start": os.getloadavg()[0]}
    home = RUN_DIR / f"n{n}"
    os.environ["AFFINITY_DATA_DIR"] = str(home)
    os.environ["AFFINITY_MODEL_DIR"] = str(home / "models")
    with stage(results, "generate", neo4j=False) as record:
        record.update(generate(n, home / "dataset", seed=n, chunk_lines=args.chunk_lines))
    with neo4j_running() as driver:
        settings = get_settings()
        with stage(results, "ingest") as record:
            # One `affinity ingest` per slice, catalogue first: each validates and writes on its own,
            # resolving references to earlier slices in the graph, so memory follows the slice.
            record["order_lines"], record["slices"] = 0, []
            for part in sorted(p for p in (home / "dataset").iterdir() if p.is_dir()):
                started = time.perf_counter()
                outcome = ingest_paths(
                    driver, settings.neo4j_database, [part], batch_size=settings.ingest_batch_size
                )
                record["order_lines"] += outcome.order_lines
                record["slices"].append({"name": part.name, "seconds": time.perf_counter() - started})
                log(f"  ingested {part.name} ({outcome.order_lines:,} order lines)")
        with stage(results, "export") as record:
            snapshot = from_neo4j(driver, settings.neo4j_database)
            record.update(products=len(snapshot.products), baskets=len(snapshot.baskets))
        gnn = train(results, snapshot, args.epochs, args.steps) if n <= args.train_max else None
        del snapshot
        score(results, n, gnn, args.score_sources, seed=n, neo4j=True)
        del gnn
        write_back(results, driver, n, args.write_cap, seed=n)
        results["neo4j_store_mb"] = (
            sum(f.stat().st_size for f in (home / "neo4j" / "data").rglob("*") if f.is_file()) / 2**20
        )
    results["load_end"] = os.getloadavg()[0]
    return results


def _fmt_s(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 600:
        return f"{seconds / 60:.0f} min"
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def report(paths: list[Path], extrapolate: int, fit_epochs: int = 50) -> str:
    """The Markdown curve from the JSON of earlier runs: measured sizes, then ``extrapolate`` products
    by per-item rates of the largest measured size (edges per product for the GNN)."""
    runs = [json.loads(path.read_text()) for path in paths]
    sizes = sorted((r for run in runs for r in run["sizes"]), key=lambda r: r["n"])
    score_only = {r["n"]: r for run in runs for r in run["score_only"]}
    rows: list[dict[str, Any]] = []
    for r in sizes:
        epoch = r.get("train_epoch", {}).get("seconds")
        rows.append(
            {
                "n": r["n"],
                "measured": True,
                "lines": r["ingest"]["order_lines"],
                "edges": r.get("train_graph", {}).get("edges"),
                "ingest": r["ingest"]["seconds"],
                "export": r["export"]["seconds"],
                "graph": r.get("train_graph", {}).get("seconds"),
                "epoch": epoch,
                "fit_gnn": 2 * fit_epochs * epoch if epoch else None,
                "score": r["score"]["seconds"],
                "score_note": "sampled" if r["score"].get("extrapolated") else "",
                "write": r["write"]["seconds"],
                "write_note": "sampled" if r["write"].get("extrapolated") else "",
                "write_edges": r["write"]["edges"],
                "peak": max(v.get("peak_mb", 0) for v in r.values() if isinstance(v, dict)),
                "neo4j": max(v.get("neo4j_mb", 0) for v in r.values() if isinstance(v, dict)),
                "store": r.get("neo4j_store_mb"),
                "load": r.get("load_start"),
            }
        )
    if extrapolate and rows:
        base = rows[-1]
        f = extrapolate / base["n"]
        edges = base["edges"] * f if base["edges"] else None
        epoch = base["epoch"] * (edges / base["edges"]) if base["epoch"] and edges else None
        score = score_only.get(extrapolate, {}).get("score", {}).get("seconds")
        rows.append(
            {
                "n": extrapolate,
                "measured": False,
                "lines": base["lines"] * f,
                "edges": edges,
                "ingest": base["ingest"] * f,
                "export": base["export"] * f,
                "graph": base["graph"] * f if base["graph"] else None,
                "epoch": epoch,
                "fit_gnn": 2 * fit_epochs * epoch if epoch else None,
                "score": score if score else base["score"] * f * f,
                "score_note": "sampled" if score else "extrapolated",
                "write": base["write"] * f,
                "write_note": "extrapolated",
                "write_edges": base["write_edges"] * f,
                "peak": None,
                "neo4j": None,
                "store": base["store"] * f if base["store"] else None,
                "load": None,
            }
        )

    def cell(value: Any, kind: str = "s") -> str:
        if value is None:
            return "—"
        if kind == "s":
            return _fmt_s(float(value))
        if kind == "mb":
            return f"{value:,.0f}"
        return f"{value:,.0f}"

    lines = [
        "| products | order lines | graph edges | ingest | export | graph build | epoch (20 steps) "
        "| GNN part of a fit (2 x 50 epochs) | score all (K=20, 2 kinds) | write-back (edges) "
        "| peak RSS bench (MB) | Neo4j RSS (MB) | store (MB) | load at start |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        mark = "" if row["measured"] else " (extrapolated)"
        score_note = f" ({row['score_note']})" if row["score_note"] else ""
        load = "—" if row["load"] is None else f"{row['load']:.1f}"
        write_note = f", {row['write_note']}" if row["write_note"] else ""
        lines.append(
            f"| {row['n']:,}{mark} | {cell(row['lines'], 'n')} | {cell(row['edges'], 'n')} "
            f"| {cell(row['ingest'])} | {cell(row['export'])} | {cell(row['graph'])} | {cell(row['epoch'])} "
            f"| {cell(row['fit_gnn'])} | {cell(row['score'])}{score_note} "
            f"| {cell(row['write'])} ({row['write_edges']:,.0f}{write_note}) | {cell(row['peak'], 'mb')} "
            f"| {cell(row['neo4j'], 'mb')} | {cell(row['store'], 'mb')} "
            f"| {load} |"
        )
    return "\n".join(lines) + "\n"


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # `timeout` sends SIGTERM: stop the isolated Neo4j in `finally`


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--score-sizes", default="1000000", help="sizes for the score stage alone")
    parser.add_argument("--score-sources", type=int, default=2048)
    parser.add_argument("--write-cap", type=int, default=400_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=0, help="steps timed per run (0: a whole epoch)")
    parser.add_argument("--train-max", type=int, default=1_000_000)
    parser.add_argument(
        "--chunk-lines", type=int, default=1_000_000, help="order lines per ingested slice (whole orders)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "scaling.json")
    parser.add_argument("--report", type=Path, nargs="*", help="print the table from these JSON files")
    parser.add_argument("--extrapolate", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.report:
        print(report(args.report, args.extrapolate))
        return
    torch.set_num_threads(args.threads)
    out: dict[str, Any] = {
        "machine": machine(),
        "torch_threads": torch.get_num_threads(),
        "command": " ".join(["bench/bench_scaling.py", *sys.argv[1:]]),
        "sizes": [],
        "score_only": [],
    }
    for n in (int(s) for s in args.sizes.split(",") if s):
        out["sizes"].append(run_size(n, args))
        args.json.write_text(json.dumps(out, indent=1, default=str))
    for n in (int(s) for s in args.score_sizes.split(",") if s):
        results: dict[str, Any] = {"n": n, "load_start": os.getloadavg()[0]}
        score(results, n, None, args.score_sources, seed=n, neo4j=False)
        out["score_only"].append(results)
        args.json.write_text(json.dumps(out, indent=1, default=str))
    print(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
