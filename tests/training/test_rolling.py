"""Rolling-origin evaluation: monthly windows trained only on the past, resumable runs, per-window and
mean scores over seeds, and paired intervals that resample baskets and seeds."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from tests.factories import small_train_params
from training.params import HybridConfig
from training.rolling import monthly_windows, run_rolling, summarise, window_label
from training.rolling_report import write_rolling_report
from training.synthetic import make_synthetic_snapshot

SNAP = make_synthetic_snapshot(80, 700, n_themes=5, seed=3)
EMB = np.random.default_rng(1).standard_normal((80, 12)).astype(np.float32)
PARAMS = small_train_params(
    epochs=2, selection_windows=0, hybrid=HybridConfig(steps=10, n_candidates=12, members=1)
)


def test_monthly_windows_are_consecutive_and_train_on_the_past() -> None:
    windows = monthly_windows(datetime(2011, 9, 30, 17, tzinfo=UTC), 4, val_days=28)
    assert [window_label(w) for w in windows] == ["2011-06", "2011-07", "2011-08", "2011-09"]
    for before, after in pairwise(windows):
        assert before.test_end == after.train_end
    assert windows[-1].test_end == datetime(2011, 10, 1, tzinfo=UTC)
    assert all(w.train_start is None and (w.train_end - w.val_start).days == 28 for w in windows)
    with pytest.raises(ValueError, match="at least one"):
        monthly_windows(datetime(2011, 9, 30, tzinfo=UTC), 0)


def test_rolling_runs_resume_and_summarise_with_intervals(tmp_path: Path) -> None:
    windows = monthly_windows(SNAP.time_range()[1], 2, skip_last=1)  # whole months only
    runs = run_rolling(SNAP, EMB, windows, [1, 2], PARAMS, tmp_path, ablations=False)
    assert len(runs) == 4 and all((r / "report.json").exists() and (r / "ranked.npz").exists() for r in runs)
    stamps = [(r / "report.json").stat().st_mtime_ns for r in runs]
    run_rolling(SNAP, EMB, windows, [1, 2], PARAMS, tmp_path, ablations=False)  # finished: not redone
    assert [(r / "report.json").stat().st_mtime_ns for r in runs] == stamps
    assert not list(tmp_path.glob("*.partial"))

    report = summarise(SNAP, windows, [1, 2], tmp_path, comparisons=[("hybrid (sage)", "trending")])
    assert report.windows == [window_label(w) for w in windows]
    assert report.groups["trending"] == "baseline" and report.groups["hybrid (sage)"] == "hybrid"
    for key in ("warm recall", "warm ndcg"):
        per_window = report.scores["hybrid (sage)"][key]
        assert all(len(v) == 2 for v in per_window.values())  # one score per seed
        assert all(len(v) == 1 for v in report.scores["trending"][key].values())  # deterministic
        assert report.mean("hybrid (sage)", key) == pytest.approx(
            np.mean([np.mean(v) for v in per_window.values()])
        )
        diff, low, high = report.intervals["hybrid (sage) vs trending"][key]
        assert diff == pytest.approx(report.mean("hybrid (sage)", key) - report.mean("trending", key))
        assert low <= high and low - 1e-9 <= diff <= high + 1e-9
        strongest = report.strongest[key]
        assert report.groups[strongest] == "baseline"
        assert all(
            report.mean(strongest, key) >= report.mean(b, key)
            for b, g in report.groups.items()
            if g == "baseline"
        )
    path = write_rolling_report(report, tmp_path / "out")
    text = path.read_text(encoding="utf-8")
    assert "hybrid (sage) vs trending" in text and window_label(windows[0]) in text


def test_summarise_refuses_unfinished_runs(tmp_path: Path) -> None:
    windows = monthly_windows(SNAP.time_range()[1], 1, skip_last=1)
    with pytest.raises(FileNotFoundError, match="2 rolling runs are not finished"):
        summarise(SNAP, windows, [1, 2], tmp_path)
