"""The activation gate's out-of-sample comparison: a candidate and the active version scored on the
same held-out window.

A retrain holds its newest ``gate_days`` out of every fit (co-occurrence statistics, GNN, ranker,
calibration: :meth:`~training.split.TimeSplit.for_retrain`). On that window both versions rank with
statistics from the baskets before it: the candidate as fitted, the active version's weights
(its GNN, rankers and half-life, loaded from its artefact) rebased onto the same catalogue and the
same baskets. Neither has seen a basket of the window, except that the active version, fitted by an
earlier retrain, may have seen part of it when the two retrains are less than ``gate_days`` apart;
that leak favours the active version, so the gate errs on the side of keeping it.

After the gate the candidate is rebased once more, onto every basket including the window, so the
version that is served ranks with the freshest statistics; its weights stay those that were gated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from training.aliases import FloatArray
from training.artifact import TrainedModel
from training.evaluate import EvalQueries, evaluate_recommender
from training.rebase import rebase
from training.snapshot import CatalogueSnapshot
from training.split import TimeSplit, make_split

__all__ = ["GateReport", "compare_on_window", "window_scores"]


def window_scores(model: TrainedModel, queries: EvalQueries) -> dict[str, Any]:
    """HR, Recall and NDCG@10 of ``model``'s hybrid on ``queries``, overall, warm and cold."""
    return evaluate_recommender(model.recommender("hybrid"), queries).as_dict()


@dataclass(slots=True)
class GateReport:
    """The numbers the activation gate decides on (stored on the candidate's ``ModelVersion``)."""

    window: dict[str, str | None]
    pairs: dict[str, int]
    candidate: dict[str, Any]
    #: the active version's scores on the same window, or None (no active version, or not comparable)
    active: dict[str, Any] | None = None
    active_version: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "pairs": self.pairs,
            "candidate": self.candidate,
            "active": self.active,
            "active_version": self.active_version,
            "notes": self.notes,
        }


def compare_on_window(
    candidate: TrainedModel,
    active_version: str | None,
    active: TrainedModel | None,
    snapshot: CatalogueSnapshot,
    text: FloatArray,
    split: TimeSplit,
) -> GateReport:
    """Score ``candidate`` (fitted before ``split.train_end``) and the ``active`` version's model on
    ``split``'s test period, both with statistics from the baskets before it."""
    data = make_split(snapshot, split)
    queries = data.test_queries
    report = GateReport(
        window={
            "start": split.train_end.isoformat(),
            "end": split.test_end.isoformat() if split.test_end else None,
        },
        pairs={"overall": len(queries), "warm": int(queries.warm.sum()), "cold": int((~queries.warm).sum())},
        candidate=window_scores(candidate, queries),
    )
    report.active_version = active_version
    if active_version is None:
        report.notes.append("no active version to compare with")
        return report
    if active is None:
        report.notes.append(f"the active version {active_version} has no trained model on disk")
        return report
    try:
        rebased = rebase(active, snapshot, text, data.train, split.train_end.timestamp())
    except (ValueError, KeyError, RuntimeError) as problem:
        report.notes.append(f"the active version {active_version} cannot rank this catalogue: {problem}")
        return report
    report.active = window_scores(rebased, queries)
    return report
