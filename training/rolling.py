"""Rolling-origin evaluation: the comparison of :mod:`training.experiment` on consecutive monthly test
windows, each trained only on what came before it, with several seeds and intervals.

For test month ``m`` the train window is every basket before ``m`` (its last ``val_days`` are the
validation period, its last weeks the selection windows); the month itself is only scored. Every
(window, seed) run is :func:`~training.experiment.run_evaluation` with ``TrainParams.seed`` and the
ranker's seed set to the seed; its report and its ranked test lists are written under
``out_dir/<month>-seed<seed>/`` as soon as it finishes, so an interrupted evaluation resumes where it
stopped and several processes can share the work (each takes the runs it is given).

Intervals (:func:`summarise`): a method's score is the mean over windows of its mean over seeds. Each
bootstrap replicate resamples, independently per window, the test baskets (pairs of one basket stay
together) and the seeds (with replacement), and recomputes the mean-over-windows difference between
two methods on the same resampled baskets (paired). The 2.5 and 97.5 percentiles are the 95%
interval, so it covers basket sampling and training randomness together.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from training.aliases import FloatArray, Progress, no_progress
from training.evaluate import EvalQueries, hit_matrix
from training.experiment import EvaluationReport, run_evaluation
from training.metrics import pair_metrics
from training.params import TrainParams
from training.snapshot import CatalogueSnapshot
from training.split import TimeSplit, make_split

Sums = npt.NDArray[np.float64]

__all__ = ["RollingReport", "monthly_windows", "run_rolling", "summarise", "window_label"]

SUBSETS = ("warm", "cold")
METRICS = ("recall", "ndcg")


def _month_start(value: datetime, shift: int = 0) -> datetime:
    month = value.year * 12 + value.month - 1 + shift
    return datetime(month // 12, month % 12 + 1, 1, tzinfo=UTC)


def monthly_windows(last_ts: datetime, n: int, val_days: int = 28, skip_last: int = 0) -> list[TimeSplit]:
    """The ``n`` calendar months ending with the month of ``last_ts`` (less ``skip_last`` months) as
    test windows, oldest first; each trains on everything before its month."""
    if n < 1:
        raise ValueError("at least one test window is needed")
    last = _month_start(last_ts, -skip_last)
    out = []
    for i in range(n - 1, -1, -1):
        start = _month_start(last, -i)
        out.append(
            TimeSplit(
                val_start=start - timedelta(days=val_days), train_end=start, test_end=_month_start(start, 1)
            )
        )
    return out


def window_label(split: TimeSplit) -> str:
    """``2011-06`` for the window whose test month starts 2011-06-01."""
    return split.train_end.strftime("%Y-%m")


def seeded(params: TrainParams, seed: int) -> TrainParams:
    """``params`` with the GNN's and the ranker's seed set to ``seed``."""
    return replace(params, seed=seed, hybrid=replace(params.hybrid, seed=seed))


def _run_dir(out_dir: Path, split: TimeSplit, seed: int) -> Path:
    return out_dir / f"{window_label(split)}-seed{seed}"


def run_rolling(
    snapshot: CatalogueSnapshot,
    text_embeddings: FloatArray,
    windows: Sequence[TimeSplit],
    seeds: Sequence[int],
    params: TrainParams,
    out_dir: Path,
    ablations: bool = True,
    jobs: int = 1,
    progress: Progress = no_progress,
) -> list[Path]:
    """Run every (window, seed) not already finished under ``out_dir``; return every run's directory.

    Each run is a fresh process (``jobs`` at a time, the cores shared between them): a long
    evaluation in one process grew by about 2 GB a run until the kernel killed it, and a crashed or
    killed run costs only itself, as the next call redoes just the missing ones.
    """
    runs = [(split, seed) for split in windows for seed in seeds]
    todo = [(s, seed) for s, seed in runs if not (_run_dir(out_dir, s, seed) / "report.json").exists()]
    if params.threads is None:
        params = replace(params, threads=max(1, (os.cpu_count() or 1) // max(jobs, 1)))
    finished = len(runs) - len(todo)
    progress("rolling", finished, len(runs))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(jobs, 1), mp_context=context, max_tasks_per_child=1) as pool:
        futures = [
            pool.submit(_run_one, snapshot, text_embeddings, split, params, seed, out_dir, ablations)
            for split, seed in todo
        ]
        for future in as_completed(futures):
            future.result()
            finished += 1
            progress("rolling", finished, len(runs))
    return [_run_dir(out_dir, split, seed) for split, seed in runs]


def _run_one(
    snapshot: CatalogueSnapshot,
    text_embeddings: FloatArray,
    split: TimeSplit,
    params: TrainParams,
    seed: int,
    out_dir: Path,
    ablations: bool,
) -> None:
    report = run_evaluation(
        snapshot,
        text_embeddings,
        split,
        seeded(params, seed),
        encoders=(params.encoder,),
        ablations=ablations,
        naive_gnn=False,
    )
    _save_run(report, _run_dir(out_dir, split, seed))


def _save_run(report: EvaluationReport, directory: Path) -> None:
    """The report and its ranked test lists, written to a temporary directory first so that a run
    is either complete on disk or absent (an interrupted one is redone)."""
    partial = directory.with_name(directory.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    lists = {f"row{i}": r.ranked for i, r in enumerate(report.rows) if r.ranked is not None}
    np.savez_compressed(partial / "ranked.npz", **lists)  # type: ignore[arg-type]
    report.save_json(partial / "report.json")
    partial.replace(directory)


@dataclass(slots=True)
class RollingReport:
    """Per-window and mean scores of every method, and paired intervals between methods."""

    windows: list[str]
    seeds: list[int]
    #: method -> group
    groups: dict[str, str]
    #: method -> "warm recall" etc. -> window label -> [score per seed] (one value for baselines)
    scores: dict[str, dict[str, dict[str, list[float]]]]
    #: window label -> pairs per subset
    pairs: dict[str, dict[str, int]]
    #: "A vs B" -> "warm recall" etc. -> (mean difference, 95% low, 95% high)
    intervals: dict[str, dict[str, tuple[float, float, float]]] = field(default_factory=dict)
    #: window label -> strongest baseline per "warm recall" etc., by its mean over windows
    strongest: dict[str, str] = field(default_factory=dict)

    def mean(self, method: str, key: str) -> float:
        """The mean over windows of the mean over seeds."""
        return float(np.mean([np.mean(v) for v in self.scores[method][key].values()]))

    def window_mean(self, method: str, key: str, window: str) -> float:
        return float(np.mean(self.scores[method][key][window]))

    def seed_spread(self, method: str, key: str) -> float:
        """The standard deviation over seeds of the mean over windows (0 for one seed)."""
        per_seed = np.array(list(self.scores[method][key].values()), dtype=np.float64)  # (W, S)
        return float(per_seed.mean(axis=0).std(ddof=1)) if per_seed.shape[1] > 1 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "windows": self.windows,
            "seeds": self.seeds,
            "groups": self.groups,
            "scores": self.scores,
            "pairs": self.pairs,
            "intervals": {k: {m: list(v) for m, v in d.items()} for k, d in self.intervals.items()},
            "strongest": self.strongest,
        }


def _load(directory: Path) -> tuple[EvaluationReport, dict[str, npt.NDArray[np.int64]]]:
    report = EvaluationReport.from_dict(json.loads((directory / "report.json").read_text(encoding="utf-8")))
    with np.load(directory / "ranked.npz") as lists:
        ranked = {report.rows[int(key[3:])].name: lists[key] for key in lists.files}
    return report, ranked


def summarise(
    snapshot: CatalogueSnapshot,
    windows: Sequence[TimeSplit],
    seeds: Sequence[int],
    out_dir: Path,
    comparisons: Iterable[tuple[str, str]] = (),
    n_boot: int = 1000,
) -> RollingReport:
    """Scores of every finished run, and intervals of each model row against the strongest baseline
    (chosen per subset and metric by its mean over windows) and of each pair in ``comparisons``."""
    labels = [window_label(s) for s in windows]
    missing = [
        str(_run_dir(out_dir, s, seed))
        for s in windows
        for seed in seeds
        if not (_run_dir(out_dir, s, seed) / "report.json").exists()
    ]
    if missing:
        raise FileNotFoundError(f"{len(missing)} rolling runs are not finished: {', '.join(missing[:4])}")
    groups: dict[str, str] = {}
    scores: dict[str, dict[str, dict[str, list[float]]]] = {}
    pairs: dict[str, dict[str, int]] = {}
    # window -> method -> subset key -> (S, B) per-basket sums; window -> subset -> (B,) pair counts
    sums: dict[str, dict[str, dict[str, Sums]]] = {}
    counts: dict[str, dict[str, Sums]] = {}
    for split, label in zip(windows, labels, strict=True):
        queries = make_split(snapshot, split).test_queries
        masks = {"warm": queries.warm, "cold": ~queries.warm}
        pairs[label] = {s: int(m.sum()) for s, m in masks.items()}
        counts[label] = {s: _basket_sums(queries, m, np.ones(len(queries))) for s, m in masks.items()}
        per_method: dict[str, list[dict[str, Sums]]] = {}
        for seed in seeds:
            run, ranked = _load(_run_dir(out_dir, split, seed))
            for row in run.rows:
                if row.group == "baseline" and seed != seeds[0]:
                    continue  # deterministic: the first seed's lists stand for all
                groups[row.name] = row.group
                metric_values = pair_metrics(hit_matrix(queries, ranked[row.name]), queries.n_targets)
                entry: dict[str, Sums] = {}
                for subset, mask in masks.items():
                    for name, values in zip(("hr", "recall", "ndcg"), metric_values, strict=True):
                        if name not in METRICS:
                            continue
                        key = f"{subset} {name}"
                        entry[key] = _basket_sums(queries, mask, values)
                        n = max(pairs[label][subset], 1)
                        scores.setdefault(row.name, {}).setdefault(key, {}).setdefault(label, []).append(
                            float(entry[key].sum() / n)
                        )
                per_method.setdefault(row.name, []).append(entry)
        sums[label] = {
            method: {key: np.stack([e[key] for e in entries]) for key in entries[0]}
            for method, entries in per_method.items()
        }
    report = RollingReport(labels, list(seeds), groups, scores, pairs)
    keys = [f"{s} {m}" for s in SUBSETS for m in METRICS]
    baselines = [name for name, group in groups.items() if group == "baseline"]
    for key in keys:
        report.strongest[key] = max(baselines, key=lambda name: report.mean(name, key))
    rng = np.random.default_rng(0)
    draws = _draws(rng, labels, counts, len(seeds), n_boot)
    wanted = [(name, "strongest baseline") for name, group in groups.items() if group != "baseline"]
    wanted += list(comparisons)
    for a, b in wanted:
        label_ab = f"{a} vs {b}"
        report.intervals[label_ab] = {}
        for key in keys:
            other = report.strongest[key] if b == "strongest baseline" else b
            subset = key.split()[0]
            report.intervals[label_ab][key] = _interval(
                labels,
                sums,
                counts,
                subset,
                key,
                a,
                other,
                draws,
                report.mean(a, key) - report.mean(other, key),
            )
    return report


def _basket_sums(queries: EvalQueries, mask: npt.NDArray[np.bool_], values: Sums) -> Sums:
    out: Sums = np.bincount(queries.basket[mask], weights=values[mask], minlength=queries.n_baskets).astype(
        np.float64
    )
    return out


Draws = dict[str, list[tuple[Sums, npt.NDArray[np.int64]]]]


def _draws(
    rng: np.random.Generator,
    labels: Sequence[str],
    counts: dict[str, dict[str, Sums]],
    n_seeds: int,
    n_boot: int,
) -> Draws:
    """Per window and replicate: basket multiplicities and the resampled seed indices (shared by
    every comparison, so all intervals come from the same replicates)."""
    out: Draws = {}
    for label in labels:
        n_baskets = len(counts[label]["warm"])
        out[label] = [
            (
                np.bincount(rng.integers(0, n_baskets, size=n_baskets), minlength=n_baskets).astype(
                    np.float64
                ),
                rng.integers(0, n_seeds, size=n_seeds),
            )
            for _ in range(n_boot)
        ]
    return out


def _interval(
    labels: Sequence[str],
    sums: dict[str, dict[str, dict[str, Sums]]],
    counts: dict[str, dict[str, Sums]],
    subset: str,
    key: str,
    a: str,
    b: str,
    draws: Draws,
    difference: float,
) -> tuple[float, float, float]:
    n_boot = len(draws[labels[0]])
    reps = np.zeros(n_boot)
    for label in labels:
        sa, sb, n = sums[label][a][key], sums[label][b][key], counts[label][subset]
        for r, (weights, seed_pick) in enumerate(draws[label]):
            total = max(float(weights @ n), 1.0)
            value_a = (sa[seed_pick % len(sa)] @ weights).mean() / total
            value_b = (sb[seed_pick % len(sb)] @ weights).mean() / total
            reps[r] += (value_a - value_b) / len(labels)
    low, high = np.percentile(reps, [2.5, 97.5])
    return difference, float(low), float(high)
