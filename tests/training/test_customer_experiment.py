"""The customer comparison end to end on a synthetic catalogue whose customers rebuy: every baseline on
both protocols, parameters chosen on validation, intervals resampling customers."""

from __future__ import annotations

import numpy as np
import pytest

from training.customer_experiment import add_intervals, customer_bootstrap, run_customer_evaluation
from training.customer_gnn import CustomerGnnParams
from training.customer_ranker import CustomerModelParams
from training.customer_report import customer_markdown
from training.split import TimeSplit
from training.synthetic import make_synthetic_snapshot

SNAP = make_synthetic_snapshot(60, 900, n_themes=4, seed=13)
SPLIT = TimeSplit.ending(SNAP.time_range()[1], test_days=40, val_days=40)
BASELINES = {
    "popularity",
    "trending",
    "buy-again (count)",
    "buy-again (decayed)",
    "TIFU-KNN",
    "history + co-occurrence",
}


def test_every_baseline_on_both_protocols_with_choices_from_validation() -> None:
    small = CustomerModelParams(steps=60, gnn=CustomerGnnParams(dim=8, steps=20, warm_steps=10, batch=1024))
    report, lists, next_basket, completion = run_customer_evaluation(
        SNAP, SPLIT, learned_seeds=(1,), learned_params=small
    )
    learned = "learned customer ranker (seed 1)"
    ablated = "learned customer ranker without GNN (seed 1)"
    assert set(report.next_basket) == (BASELINES - {"history + co-occurrence"}) | {learned, ablated}
    assert set(report.completion) == BASELINES
    assert report.sizes["next_basket_customers"] == len(next_basket) > 0
    assert report.sizes["completion_pairs"] == len(completion.pairs) > 0
    for table in (report.next_basket, report.completion):
        for row in table.values():
            assert 0.0 <= float(row["recall"]) <= 1.0 and 0.0 <= float(row["ndcg"]) <= 1.0
    # buy-again lists what the customer bought; popularity mostly does not
    assert (
        report.next_basket["buy-again (count)"]["repeat_share"]
        > report.next_basket["popularity"]["repeat_share"]
    )
    assert report.chosen["buy-again half-life (days)"]["chosen"] in (7.0, 14.0, 30.0, 60.0, 120.0, 240.0)
    assert 0.0 < report.chosen["history + co-occurrence weight of the history"]["chosen"] < 1.0
    add_intervals(report, lists, next_basket, completion, ("TIFU-KNN", learned))
    assert report.strongest["next_basket recall"] not in ("TIFU-KNN", learned)
    assert set(report.intervals["next_basket"][learned]) == {"recall", "ndcg"}
    # the ablation is never the strongest baseline; it gets its own interval and the paired one
    assert ablated not in report.strongest.values()
    assert set(report.intervals["next_basket"][ablated]) == {"recall", "ndcg"}
    for metric in ("recall", "ndcg"):
        diff, low, high = report.ablation["next_basket"]["1"][metric]
        expected = float(report.next_basket[learned][metric]) - float(report.next_basket[ablated][metric])
        assert diff == pytest.approx(expected, abs=1e-9) and low <= diff <= high
    for metric in ("recall", "ndcg"):
        diff, low, high = report.intervals["completion"]["TIFU-KNN"][metric]
        best = report.strongest[f"completion {metric}"]
        assert best != "TIFU-KNN"
        expected = float(report.completion["TIFU-KNN"][metric]) - float(report.completion[best][metric])
        assert diff == pytest.approx(expected, abs=1e-9) and low <= diff <= high
    text = customer_markdown(report)
    assert "repeat share of top 10" in text and "TIFU-KNN" in text and "ablation" in text


def test_the_customer_bootstrap_keeps_a_customers_queries_together() -> None:
    a = np.array([1.0, 1.0, 0.0, 0.0])
    b = np.zeros(4)
    diff, low, high = customer_bootstrap(a, b, np.array([7, 7, 9, 9]), n_boot=400)
    assert diff == pytest.approx(0.5)
    # two customers: a replicate is 0, 0.5 or 1, never anything in between
    assert low in (0.0, 0.5) and high in (0.5, 1.0)
