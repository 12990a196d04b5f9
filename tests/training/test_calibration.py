"""Association scores with a meaning: calibrated on held-out baskets, in [0, 1], ordering every list."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from graph_schema import AssociationKind
from tests.factories import small_train_params
from training.artifact import TrainedModel
from training.calibration import ScoreCalibration, popularity_percentile
from training.fit import fit
from training.params import HybridConfig, TrainParams
from training.scoring import score_complements, score_new_product
from training.snapshot import ProductText
from training.split import TimeSplit
from training.synthetic import make_synthetic_snapshot, random_embeddings


def _held_out(n_pairs: int, rates_warm: np.ndarray, rate_cold: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    warm = rng.random(n_pairs) < 0.8
    percentile = rng.random(n_pairs)
    p = np.where(warm[:, None], rates_warm[None, :], rate_cold)
    hits = rng.random((n_pairs, len(rates_warm))) < p
    return hits, percentile, warm


def test_calibrated_scores_are_the_held_out_hit_rates_by_rank() -> None:
    rates = 0.4 / np.arange(1, 11)
    hits, percentile, warm = _held_out(40_000, rates, rate_cold=0.05)
    cal = ScoreCalibration.fit(hits, percentile, warm, source="test")
    warm_rows = cal.table[1:]
    assert np.allclose(warm_rows, rates[None, :], atol=0.02)
    assert np.allclose(cal.table[0], 0.05, atol=0.01)  # the cold segment has its own rates
    assert sum(cal.pairs) == 40_000


def test_calibrated_scores_never_increase_down_the_list_and_stay_in_unit_interval() -> None:
    # a noisy, non-monotone truth (rank 3 better than rank 2) is pooled, never inverted
    rates = np.array([0.30, 0.10, 0.14, 0.08, 0.08, 0.02])
    hits, percentile, warm = _held_out(3_000, rates, rate_cold=0.2, seed=1)
    cal = ScoreCalibration.fit(hits, percentile, warm, source="test")
    assert np.all(np.diff(cal.table, axis=1) <= 1e-12)
    assert cal.table.min() >= 0.0 and cal.table.max() <= 1.0
    # deeper ranks than the table keep its last value
    scores = cal.scores(np.array([0, 1, 2]), 9)
    assert scores.shape == (3, 9) and np.all(scores[:, 6:] == scores[:, 5:6])


def test_an_empty_segment_borrows_the_overall_rate_and_round_trips() -> None:
    rates = np.array([0.3, 0.2, 0.1])
    hits, percentile, _ = _held_out(2_000, rates, rate_cold=0.0)
    cal = ScoreCalibration.fit(hits, percentile, np.ones(2_000, dtype=bool), source="test")
    assert cal.pairs[0] == 0 and np.allclose(cal.table[0], hits.mean(), atol=1e-6)
    again = ScoreCalibration.from_dict(cal.as_dict())
    assert again.edges == cal.edges and np.allclose(again.table, cal.table, atol=1e-6)


def test_popularity_percentile_is_scale_free() -> None:
    seen = np.array([True, True, False, True])
    pop = np.array([5.0, 1.0, 0.0, 3.0], dtype=np.float32)
    a = popularity_percentile(pop, seen)
    b = popularity_percentile(pop * 40, seen)
    assert np.array_equal(a, b) and a[2] == 0 and a[0] == 1.0


SNAP = make_synthetic_snapshot(100, 800, n_themes=5, seed=3)
EMB = random_embeddings(100, seed=3)
PARAMS = small_train_params(
    epochs=2,
    selection_windows=2,
    selection_days=10,
    calibration_k=8,
    hybrid=HybridConfig(ranker="residual", steps=20, n_candidates=15, members=1),
)


def test_a_retrain_calibrates_on_the_held_out_selection_windows(tmp_path: Path) -> None:
    model = fit(SNAP, EMB, PARAMS, TimeSplit.ending(SNAP.time_range()[1], test_days=30, val_days=30))
    assert model.calibration is not None and "held-out selection windows" in model.calibration.source
    assert "calibration" not in model.selection["hybrid"]
    rows = [r for block in score_complements(model, 8) for r in block]
    assert rows and all(0.0 <= r.score <= 1.0 for r in rows)
    by_source: dict[str, list[float]] = {}
    for r in rows:
        assert r.kind is AssociationKind.COMPLEMENT
        by_source.setdefault(r.source_id, []).append(r.score)
    # the scores order each list (non-increasing with rank), whatever the raw scores' scale
    assert all(s == sorted(s, reverse=True) for s in by_source.values())
    # the calibration travels with the saved model: the incremental path scores as the batch did
    model.save(tmp_path)
    loaded = TrainedModel.load(tmp_path)
    known = SNAP.products[3]
    again = score_new_product(
        loaded, ProductText(known.id, known.title, known.description, known.tags, known.category), 8,
        text_embedding=EMB[3],
    )  # fmt: skip
    batch = [(r.target_id, r.score) for r in rows if r.source_id == known.id]
    incremental = [(r.target_id, r.score) for r in again if r.kind is AssociationKind.COMPLEMENT]
    assert incremental == batch


def test_without_selection_windows_the_calibration_says_it_is_in_sample() -> None:
    params = TrainParams.from_dict({**PARAMS.as_dict(), "selection_windows": 0, "hybrid": PARAMS.hybrid})
    model = fit(SNAP, EMB, params, TimeSplit.ending(SNAP.time_range()[1], test_days=30, val_days=30))
    assert model.calibration is not None and "in-sample" in model.calibration.source
