"""The comparison run and its report on a tiny synthetic catalogue (shape of the output, not quality)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from training.experiment import EvaluationReport, run_evaluation
from training.params import HybridConfig, TrainParams
from training.report import load_report, markdown, write_report
from training.split import TimeSplit
from training.synthetic import make_synthetic_snapshot, random_embeddings


def test_run_evaluation_and_write_report(tmp_path: Path) -> None:
    snap = make_synthetic_snapshot(100, 700, n_themes=5, seed=11)
    split = TimeSplit.ending(snap.time_range()[1], test_days=40, val_days=30)
    params = TrainParams(
        hidden_channels=16,
        out_channels=8,
        epochs=2,
        steps_per_epoch=2,
        batch_pairs=64,
        num_negatives=32,
        half_life_grid=(30.0,),
        device="cpu",
        hybrid=HybridConfig(steps=5, members=1, n_candidates=10, blend_rounds=1),
    )
    report = run_evaluation(
        snap, random_embeddings(100, 16, seed=1), split, params, encoders=("sage", "gcn"), naive_gnn=True
    )
    names = [r.name for r in report.rows]
    assert names[:5] == ["popularity", "trending", "cooccurrence", "decayed_cooccurrence", "text_cosine"]
    assert {"gnn (sage)", "hybrid (sage)", "hybrid (gcn)", "hybrid without GNN (sage)"} <= set(names)
    assert "gnn (sage without cold-start simulation)" in names
    verdict = report.verdict("hybrid (sage)")
    assert set(verdict) == {"warm recall", "warm ndcg", "cold recall", "cold ndcg"}
    assert all(v["ci_low"] <= v["ci_high"] for v in verdict.values())

    md = write_report(report, tmp_path)
    text = md.read_text()
    assert "## Test results (K = 10)" in text and "hybrid (sage)" in text
    assert (tmp_path / "training_curves.png").stat().st_size > 0
    assert (tmp_path / "metric_bars.png").stat().st_size > 0
    again = load_report(tmp_path / "report.json")
    assert isinstance(again, EvaluationReport)
    assert markdown(again) == markdown(replace(report, rows=[replace(r, ranked=None) for r in report.rows]))
    assert np.isfinite(again.row("hybrid (sage)").result.overall.recall)
