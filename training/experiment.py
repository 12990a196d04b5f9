"""The full comparison behind ``affinity eval`` and ``docs/evaluation.md``.

On one :class:`~training.split.TimeSplit`: every baseline, every GNN encoder alone, the hybrid on
each encoder, and ablations of the hybrid (without the GNN, without GNN and text, the residual
correction at full weight instead of the weight chosen on rolling windows, an MLP ranker and a
weighted blend instead of the residual ranker) and of the GNN's training (no cold-start
simulation). All choices (half-life, early stopping, correction weight, ranker fitting) use weeks
inside the train window; the test period is only scored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from training.aliases import FloatArray, Progress, no_progress
from training.artifact import EpochRecord
from training.baselines import build_baselines, tune_half_life
from training.evaluate import EvalQueries, EvalResult, bootstrap_difference, evaluate_top_k
from training.fit import fit
from training.metrics import RankingMetrics
from training.params import HybridConfig, TrainParams
from training.recommender import Recommender
from training.snapshot import CatalogueSnapshot
from training.split import ONLINE_RETAIL_SPLIT, TimeSplit, make_split

__all__ = ["ABLATIONS", "EvaluationReport", "ResultRow", "run_evaluation"]


#: Hybrid ablations fitted beside the main hybrid of the first encoder.
ABLATIONS: dict[str, dict[str, Any]] = {
    "hybrid without GNN": {"use_gnn": False},
    "hybrid without GNN and text": {"use_gnn": False, "use_text": False},
    "hybrid with the correction at full weight": {"select_scale": False, "residual_scale": 1.0},
    "hybrid with an MLP ranker": {"ranker": "mlp"},
    "hybrid as weighted blend": {"ranker": "blend"},
}


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One method's test metrics. ``group``: baseline, gnn, hybrid or ablation.

    ``ranked`` holds its ``(U, K)`` test lists (for paired bootstrap intervals; not serialised).
    """

    name: str
    group: str
    result: EvalResult
    val: dict[str, Any] | None = None
    note: str = ""
    ranked: npt.NDArray[np.int64] | None = field(default=None, compare=False, repr=False)


def _score(
    recommender: Recommender, queries: EvalQueries, k: int = 10
) -> tuple[EvalResult, npt.NDArray[np.int64]]:
    ranked = recommender.top_k(queries.unique_q, k)
    return evaluate_top_k(queries, ranked), ranked


@dataclass(slots=True)
class EvaluationReport:
    """Everything the Markdown report and the CLI table show."""

    split: dict[str, str | None]
    sizes: dict[str, int]
    half_life_days: float
    half_life_val: dict[str, float]
    rows: list[ResultRow]
    histories: dict[str, list[EpochRecord]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    #: method -> "warm recall" etc. -> (difference to the strongest baseline, 95% low, 95% high)
    intervals: dict[str, dict[str, tuple[float, float, float]]] = field(default_factory=dict)
    #: fit label -> ranker variant -> the residual correction weight chosen on rolling windows
    selection: dict[str, dict[str, Any]] = field(default_factory=dict)

    def strongest_baseline(self, subset: str, metric: str) -> ResultRow:
        """The baseline with the best test ``metric`` on ``subset`` (``warm``, ``cold``, ``overall``)."""
        baselines = [r for r in self.rows if r.group == "baseline"]
        return max(baselines, key=lambda r: r.result.get(subset, metric))

    def row(self, name: str) -> ResultRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def verdict(self, name: str = "hybrid (sage)") -> dict[str, dict[str, float | bool | str]]:
        """For warm and cold, Recall@10 and NDCG@10: the model, the strongest baseline, and who wins."""
        model = self.row(name)
        out: dict[str, dict[str, float | bool | str]] = {}
        for subset in ("warm", "cold"):
            for metric in ("recall", "ndcg"):
                best = self.strongest_baseline(subset, metric)
                mine = model.result.get(subset, metric)
                theirs = best.result.get(subset, metric)
                key = f"{subset} {metric}"
                interval = self.intervals.get(name, {}).get(key)
                out[key] = {
                    "model": mine,
                    "baseline": best.name,
                    "baseline_value": theirs,
                    "lift": mine / theirs - 1.0 if theirs else float("nan"),
                    "beats": mine > theirs,
                    "ci_low": interval[1] if interval else float("nan"),
                    "ci_high": interval[2] if interval else float("nan"),
                }
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "sizes": self.sizes,
            "half_life_days": self.half_life_days,
            "half_life_val": self.half_life_val,
            "rows": [
                {"name": r.name, "group": r.group, "test": r.result.as_dict(), "val": r.val, "note": r.note}
                for r in self.rows
            ],
            "histories": {k: [asdict(h) for h in v] for k, v in self.histories.items()},
            "timings": self.timings,
            "params": self.params,
            "intervals": {k: {m: list(v) for m, v in d.items()} for k, d in self.intervals.items()},
            "selection": self.selection,
        }

    def save_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=1), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationReport:
        def result(d: dict[str, Any]) -> EvalResult:
            return EvalResult(
                k=int(d["k"]),
                overall=RankingMetrics(**d["overall"]),
                warm=RankingMetrics(**d["warm"]),
                cold=RankingMetrics(**d["cold"]),
            )

        return cls(
            split=data["split"],
            sizes=data["sizes"],
            half_life_days=float(data["half_life_days"]),
            half_life_val=data["half_life_val"],
            rows=[
                ResultRow(r["name"], r["group"], result(r["test"]), r.get("val"), r.get("note", ""))
                for r in data["rows"]
            ],
            histories={k: [EpochRecord(**h) for h in v] for k, v in data.get("histories", {}).items()},
            timings=data.get("timings", {}),
            params=data.get("params", {}),
            intervals={
                k: {m: (float(v[0]), float(v[1]), float(v[2])) for m, v in d.items()}
                for k, d in data.get("intervals", {}).items()
            },
            selection=data.get("selection", {}),
        )


def run_evaluation(
    snapshot: CatalogueSnapshot,
    text_embeddings: FloatArray,
    split: TimeSplit = ONLINE_RETAIL_SPLIT,
    params: TrainParams | None = None,
    encoders: Sequence[str] = ("sage", "gat", "gcn", "mlp"),
    ablations: bool = True,
    naive_gnn: bool = True,
    progress: Progress = no_progress,
) -> EvaluationReport:
    """Score every baseline and model variant on ``split``'s test period (see the module docstring)."""
    params = params or TrainParams()
    timings: dict[str, float] = {}
    data = make_split(snapshot, split)
    val_s, end_s = split.val_start.timestamp(), split.train_end.timestamp()
    start = time.perf_counter()
    half_life, tuning = tune_half_life(data.fit, data.val_queries, val_s, params.half_life_grid)
    params = replace(params, half_life_days=half_life)
    rows: list[ResultRow] = []
    val_baselines = build_baselines(data.fit, val_s, text_embeddings, half_life, params.trending_days)
    for name, rec in build_baselines(
        data.train, end_s, text_embeddings, half_life, params.trending_days
    ).items():
        val_rec = val_baselines[name]
        result, ranked = _score(rec, data.test_queries)
        rows.append(
            ResultRow(
                name,
                "baseline",
                result,
                _score(val_rec, data.val_queries)[0].as_dict(),
                f"half-life {half_life:g} days" if name == "decayed_cooccurrence" else "",
                ranked,
            )
        )
    timings["baselines"] = round(time.perf_counter() - start, 2)
    progress("baselines", 1, 1)

    histories: dict[str, list[EpochRecord]] = {}
    selection: dict[str, dict[str, Any]] = {}
    variants: list[tuple[str, TrainParams, dict[str, HybridConfig]]] = []
    for i, encoder in enumerate(encoders):
        extra = (
            {name: replace(params.hybrid, **change) for name, change in ABLATIONS.items()}
            if ablations and i == 0
            else {}
        )
        variants.append((encoder, replace(params, encoder=encoder), extra))
    if naive_gnn and encoders:
        variants.append(
            (
                f"{encoders[0]} without cold-start simulation",
                replace(params, encoder=encoders[0], cold_fraction=0.0),
                {},
            )
        )

    for i, (label, p, extra) in enumerate(variants, start=1):
        start = time.perf_counter()
        model = fit(snapshot, text_embeddings, p, split, extra_hybrids=extra)
        timings[f"fit {label}"] = round(time.perf_counter() - start, 2)
        histories[label] = model.history
        selection[label] = model.selection
        result, ranked = _score(model.recommender("gnn"), data.test_queries)
        note = f"best epoch {model.best_epoch} of {len(model.history)}"
        rows.append(ResultRow(f"gnn ({label})", "gnn", result, model.val_metrics.get("gnn"), note, ranked))
        result, ranked = _score(model.recommender("hybrid"), data.test_queries)
        note = f"{p.hybrid.ranker} ranker"
        rows.append(
            ResultRow(f"hybrid ({label})", "hybrid", result, model.val_metrics.get("hybrid"), note, ranked)
        )
        for name in extra:
            result, ranked = _score(model.recommender(name), data.test_queries)
            rows.append(
                ResultRow(f"{name} ({label})", "ablation", result, model.val_metrics.get(name), "", ranked)
            )
        progress("models", i, len(variants))

    intervals = _intervals(rows, data.test_queries)
    return EvaluationReport(
        intervals=intervals,
        split=split.as_dict(),
        sizes=data.sizes(),
        half_life_days=half_life,
        half_life_val={f"{h:g}": r.warm.ndcg for h, r in tuning.items()},
        rows=rows,
        histories=histories,
        timings=timings,
        params=params.as_dict(),
        selection=selection,
    )


def _intervals(
    rows: Sequence[ResultRow], queries: EvalQueries, n_boot: int = 1000
) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Paired basket-bootstrap intervals of every model row against the strongest baseline."""
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    baselines = [r for r in rows if r.group == "baseline" and r.ranked is not None]
    for row in rows:
        if row.group == "baseline" or row.ranked is None or not baselines:
            continue
        out[row.name] = {}
        for subset, mask in (("warm", queries.warm), ("cold", ~queries.warm)):
            for metric in ("recall", "ndcg"):

                def value(r: ResultRow, s: str = subset, m: str = metric) -> float:
                    return r.result.get(s, m)

                best = max(baselines, key=value)
                assert best.ranked is not None
                out[row.name][f"{subset} {metric}"] = bootstrap_difference(
                    queries, row.ranked, best.ranked, metric, mask, n_boot
                )
    return out
