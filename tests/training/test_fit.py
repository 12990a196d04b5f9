"""A tiny end-to-end fit on synthetic data: history, progress, evaluation, save/load, scoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graph_schema import AssociationKind
from tests.factories import small_train_params
from training.artifact import TrainedModel
from training.evaluate import evaluate_recommender
from training.fit import fit
from training.params import HybridConfig, TrainParams
from training.scoring import score_all, score_new_product
from training.snapshot import ProductText
from training.split import TimeSplit, make_split
from training.synthetic import make_synthetic_snapshot

SNAP = make_synthetic_snapshot(120, 900, n_themes=6, seed=5)
RNG = np.random.default_rng(0)
THEME_VECTORS = RNG.standard_normal((30, 24)).astype(np.float32)


def _text_embeddings() -> np.ndarray:
    # A stand-in for MiniLM: the theme word in the title decides most of the vector.
    words = sorted({p.title.split()[1] for p in SNAP.products})
    e = np.stack([THEME_VECTORS[words.index(p.title.split()[1])] for p in SNAP.products])
    e = e + 0.3 * RNG.standard_normal(e.shape).astype(np.float32)
    return (e / np.linalg.norm(e, axis=1, keepdims=True)).astype(np.float32)


EMB = _text_embeddings()
PARAMS = small_train_params(hybrid=HybridConfig(ranker="mlp", steps=20, n_candidates=15))
SPLIT = TimeSplit.ending(SNAP.time_range()[1], test_days=40, val_days=30)


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    events: list[tuple[str, int, int]] = []
    m = fit(
        SNAP,
        EMB,
        PARAMS,
        SPLIT,
        extra_hybrids={"blend": HybridConfig(ranker="blend", n_candidates=15, blend_rounds=1)},
        progress=lambda s, d, t: events.append((s, d, t)),
    )
    steps = [e[0] for e in events]
    assert steps[:3] == ["split", "half_life", "graph"]
    assert ("epoch", 1, 3) in events and steps[-1] == "final"
    return m


def test_history_and_best_epoch(model: TrainedModel) -> None:
    assert 1 <= len(model.history) <= 3
    assert 1 <= model.best_epoch <= len(model.history)
    assert all(np.isfinite(h.loss) for h in model.history)
    assert set(model.val_metrics) == {"gnn", "hybrid", "blend"}
    assert model.gnn.key.shape == (120, 9) and model.gnn.query.shape == (120, 9)


def test_fit_is_seeded() -> None:
    a = fit(SNAP, EMB, PARAMS, SPLIT)
    b = fit(SNAP, EMB, PARAMS, SPLIT)
    assert np.allclose(a.gnn.key, b.gnn.key, atol=1e-5)


def test_models_evaluate_on_the_test_period(model: TrainedModel) -> None:
    data = make_split(SNAP, SPLIT)
    for variant in ("gnn", "hybrid", "blend"):
        result = evaluate_recommender(model.recommender(variant), data.test_queries)
        assert 0.0 <= result.overall.recall <= 1.0 and result.overall.n == len(data.test_queries)


def test_save_load_roundtrip(model: TrainedModel, tmp_path: Path) -> None:
    model.save(tmp_path)
    loaded = TrainedModel.load(tmp_path)
    q = np.arange(0, 120, 7)
    assert np.array_equal(model.recommender("hybrid").top_k(q, 5), loaded.recommender("hybrid").top_k(q, 5))
    assert np.array_equal(model.recommender("gnn").top_k(q, 5), loaded.recommender("gnn").top_k(q, 5))
    assert loaded.history[0].loss == pytest.approx(model.history[0].loss)


def test_score_all_rows(model: TrainedModel) -> None:
    rows = [r for block in score_all(model, 4, block_size=32) for r in block]
    kinds = {r.kind for r in rows}
    assert kinds == {AssociationKind.COMPLEMENT, AssociationKind.SUBSTITUTE}
    per_source = [
        r for r in rows if r.source_id == model.product_ids[0] and r.kind == AssociationKind.COMPLEMENT
    ]
    assert [r.rank for r in per_source] == [1, 2, 3, 4]
    assert all(r.source_id != r.target_id for r in rows)


def test_new_product_gets_associations_without_retrain(model: TrainedModel) -> None:
    template = SNAP.products[0]
    new = ProductText("NEW-1", template.title, template.description, template.tags, template.category)
    vector = EMB[0]
    rows = score_new_product(model, new, 5, text_embedding=vector)
    complements = [r for r in rows if r.kind == AssociationKind.COMPLEMENT]
    substitutes = [r for r in rows if r.kind == AssociationKind.SUBSTITUTE]
    assert len(complements) == 5 and len(substitutes) == 5
    assert all(r.source_id == "NEW-1" and r.target_id != "NEW-1" for r in rows)
    # its text twin is the closest substitute
    assert substitutes[0].target_id == template.id


def test_short_history_falls_back_to_the_last_fifth_for_validation() -> None:
    short = SNAP.with_baskets(SNAP.baskets[-150:])  # a few weeks only: shorter than val_days
    params = TrainParams.from_dict(
        {**PARAMS.as_dict(), "val_days": 365, "epochs": 1, "hybrid": PARAMS.hybrid}
    )
    model = fit(short, EMB, params)
    assert model.sizes["fit_baskets"] > 0 and model.sizes["val_baskets"] > 0


def test_residual_scale_is_chosen_on_rolling_windows(tmp_path: Path) -> None:
    params = TrainParams.from_dict(
        {
            **PARAMS.as_dict(),
            "selection_windows": 2,
            "selection_days": 10,
            "hybrid": HybridConfig(ranker="residual", steps=20, n_candidates=15, members=1),
        }
    )
    events: list[str] = []
    model = fit(SNAP, EMB, params, SPLIT, progress=lambda s, d, t: events.append(s))
    chosen = model.selection["hybrid"]
    assert chosen["scale"] in params.residual_grid and len(chosen["windows"]) == 2
    assert set(chosen["criterion"]) == {f"{lam:g}" for lam in params.residual_grid}
    config, ranker = model.rankers["hybrid"]
    assert config.residual_scale == chosen["scale"] == float(ranker.scale)
    assert "selection" in events and "selection_epoch" in events
    model.save(tmp_path)
    loaded = TrainedModel.load(tmp_path)
    q = np.arange(0, 120, 7)
    assert np.array_equal(model.recommender("hybrid").top_k(q, 5), loaded.recommender("hybrid").top_k(q, 5))
    assert loaded.selection["hybrid"]["scale"] == chosen["scale"]


def test_the_selection_in_a_background_process_chooses_what_it_chooses_in_process() -> None:
    def params(background: bool, threads: int) -> TrainParams:
        return TrainParams.from_dict(
            {
                **PARAMS.as_dict(),
                "threads": threads,
                "selection_windows": 2,
                "selection_days": 10,
                "background_selection": background,
                "hybrid": HybridConfig(ranker="residual", steps=20, n_candidates=15, members=1),
            }
        )

    events: list[str] = []
    # two threads: one each while the selection runs beside the fit
    background = fit(SNAP, EMB, params(True, 2), SPLIT, progress=lambda s, d, t: events.append(s))
    assert "selection_epoch" in events  # the child's progress reaches the caller
    assert background.timings["selection"] > 0
    inline = fit(SNAP, EMB, params(False, 1), SPLIT)
    assert background.selection["hybrid"]["criterion"] == pytest.approx(
        inline.selection["hybrid"]["criterion"], abs=1e-6
    )
    assert background.selection["hybrid"]["scale"] == inline.selection["hybrid"]["scale"]
