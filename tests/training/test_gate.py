"""The activation gate's numbers: the newest window held out of every fit, the candidate and the active
version scored on it with the same statistics; rebasing a model keeps what it learned."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.factories import small_train_params
from training.artifact import TrainedModel
from training.fit import fit
from training.gate import compare_on_window
from training.params import HybridConfig
from training.rebase import rebase
from training.split import TimeSplit, make_split
from training.synthetic import make_synthetic_snapshot, random_embeddings

SNAP = make_synthetic_snapshot(90, 800, n_themes=5, seed=11)
EMB = random_embeddings(len(SNAP.products), dim=16, seed=2)
PARAMS = small_train_params(selection_windows=0, hybrid=HybridConfig(steps=20, n_candidates=15, members=1))
SPLIT = TimeSplit.for_retrain(SNAP.time_range()[1], val_days=30, gate_days=21)


@pytest.fixture(scope="module")
def candidate() -> TrainedModel:
    return fit(SNAP, EMB, PARAMS, SPLIT)


def test_the_gate_window_is_held_out_of_every_fit(candidate: TrainedModel) -> None:
    last = SNAP.time_range()[1]
    assert SPLIT.test_end is not None and SPLIT.test_end > last
    assert SPLIT.test_end - SPLIT.train_end == timedelta(days=21)
    assert SPLIT.train_end - SPLIT.val_start == timedelta(days=30)
    data = make_split(SNAP, SPLIT)
    # the statistics the candidate ranks with count no basket of the window
    assert len(data.test) > 0
    assert candidate.sizes["train_baskets"] == len(data.train) == len(SNAP.baskets) - len(data.test)
    assert float(candidate.signals.pop.sum()) > 0
    assert TimeSplit.for_retrain(SNAP.time_range()[1], 30, gate_days=0) == TimeSplit.for_training(
        SNAP.time_range()[1], 30
    )


def test_rebasing_a_model_on_its_own_window_reproduces_its_lists(candidate: TrainedModel) -> None:
    data = make_split(SNAP, SPLIT)
    again = rebase(candidate, SNAP, EMB, data.train, SPLIT.train_end.timestamp())
    q = np.arange(len(SNAP.products))
    assert np.array_equal(
        candidate.recommender("hybrid").top_k(q, 10), again.recommender("hybrid").top_k(q, 10)
    )


def test_the_same_model_ties_and_a_worse_one_scores_lower(candidate: TrainedModel) -> None:
    same = compare_on_window(candidate, "v-old", candidate, SNAP, EMB, SPLIT)
    assert same.comparison is not None and same.active_version == "v-old"
    assert same.comparison["candidate"] == same.comparison["active"] == same.candidate
    assert same.comparison["window"] == same.window
    assert same.pairs["overall"] == same.pairs["warm"] + same.pairs["cold"] > 0
    # A ranker that sees neither co-occurrence nor the GNN nor text: popularity in disguise.
    poor = small_train_params(
        selection_windows=0,
        hybrid=HybridConfig(
            ranker="mlp",
            use_cooc=False,
            use_customers=False,
            use_gnn=False,
            use_text=False,
            steps=5,
            members=1,
        ),
    )
    worse = fit(SNAP, EMB, poor, SPLIT)
    report = compare_on_window(worse, "v-old", candidate, SNAP, EMB, SPLIT)
    assert report.comparison is not None
    assert report.comparison["candidate"]["overall"]["ndcg"] < report.comparison["active"]["overall"]["ndcg"]


def test_the_active_version_is_compared_only_on_days_its_weights_never_saw(candidate: TrainedModel) -> None:
    last = SNAP.time_range()[1]
    # fitted on every basket (a version from before the gate): no held-out day left to compare on
    everything = fit(SNAP, EMB, PARAMS, TimeSplit.for_training(last, 30))
    report = compare_on_window(candidate, "v-all", everything, SNAP, EMB, SPLIT)
    assert report.comparison is None and "past the held-out window" in report.notes[0]
    # fitted up to seven days before the end: compared on those seven days only
    recent = fit(SNAP, EMB, PARAMS, TimeSplit.for_retrain(last, 30, gate_days=7))
    partial = compare_on_window(candidate, "v-recent", recent, SNAP, EMB, SPLIT)
    assert (
        partial.comparison is not None and partial.comparison["window"]["start"] == recent.split["train_end"]
    )
    assert 0 < partial.comparison["pairs"]["overall"] < partial.pairs["overall"]
    assert "compared from" in partial.notes[0]


def test_without_a_comparable_active_version_the_report_says_why(candidate: TrainedModel) -> None:
    assert compare_on_window(candidate, None, None, SNAP, EMB, SPLIT).notes == [
        "no active version to compare with"
    ]
    gone = compare_on_window(candidate, "v-gone", None, SNAP, EMB, SPLIT)
    assert gone.comparison is None and "no trained model on disk" in gone.notes[0]
    other_text = random_embeddings(len(SNAP.products), dim=8, seed=3)  # another text model's dimensions
    mismatch = compare_on_window(candidate, "v-old", candidate, SNAP, other_text, SPLIT)
    assert mismatch.comparison is None and "cannot rank this catalogue" in mismatch.notes[0]
