"""The activation gate's out-of-sample comparison: a candidate and the active version scored on the
same held-out window.

A retrain holds its newest ``gate_days`` out of every fit (co-occurrence statistics, GNN, ranker,
calibration: :meth:`~training.split.TimeSplit.for_retrain`) and scores the candidate on them. The
active version is compared on the days of that window its own weights never saw: its weights were
fitted on baskets up to its split's ``train_end`` (a gated version's own held-out window start; the
end of its data for a version trained before the gate existed). On those days both rank with the
statistics of the baskets before them: the candidate, and the active version's weights (GNN,
rankers, half-life, from its artefact) rebased onto the same catalogue and baskets
(:func:`training.rebase.rebase`). Scoring the active version on days its ranker was fitted on would
flatter it; when it has seen the whole window there is nothing to compare on, and the report says so.

After the gate the candidate is rebased once more, onto every basket including the window, so the
version that is served ranks with the freshest statistics; its weights stay those that were gated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
    """The numbers the activation gate decides on (stored on the candidate's ``ModelVersion``).

    ``candidate`` is the candidate's score on the whole held-out ``window``; ``comparison`` scores it
    and the active version on the days of the window that the active version's weights never saw
    (``{"window", "pairs", "candidate", "active"}``), or is None when there are none (``notes`` say
    why)."""

    window: dict[str, str | None]
    pairs: dict[str, int]
    candidate: dict[str, Any]
    active_version: str | None = None
    comparison: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "pairs": self.pairs,
            "candidate": self.candidate,
            "active_version": self.active_version,
            "comparison": self.comparison,
            "notes": self.notes,
        }


def _pairs(queries: EvalQueries) -> dict[str, int]:
    warm = int(queries.warm.sum())
    return {"overall": len(queries), "warm": warm, "cold": len(queries) - warm}


def _weights_end(model: TrainedModel) -> datetime | None:
    """The end of the baskets the model's weights were fitted on (its split's ``train_end``)."""
    value = model.split.get("train_end")
    return datetime.fromisoformat(value) if value else None


def compare_on_window(
    candidate: TrainedModel,
    active_version: str | None,
    active: TrainedModel | None,
    snapshot: CatalogueSnapshot,
    text: FloatArray,
    split: TimeSplit,
) -> GateReport:
    """Score ``candidate`` (fitted before ``split.train_end``) on ``split``'s test period, and it and
    the ``active`` version's weights on the days of that period the active version never saw, both
    ranking with the statistics of the baskets before those days."""
    assert split.test_end is not None
    data = make_split(snapshot, split)
    window: dict[str, str | None] = {"start": split.train_end.isoformat(), "end": split.test_end.isoformat()}
    report = GateReport(
        window, _pairs(data.test_queries), window_scores(candidate, data.test_queries), active_version
    )
    if active_version is None:
        report.notes.append("no active version to compare with")
        return report
    if active is None:
        report.notes.append(f"the active version {active_version} has no trained model on disk")
        return report
    seen = _weights_end(active) or split.test_end
    start = max(split.train_end, seen)
    if start >= split.test_end:
        report.notes.append(
            f"the active version {active_version}'s weights were fitted on baskets up to {seen.isoformat()}, "
            "past the held-out window: no held-out days to compare on"
        )
        return report
    sub = TimeSplit(val_start=split.val_start, train_end=start, test_end=split.test_end)
    shared = data if start == split.train_end else make_split(snapshot, sub)
    try:
        rebased = rebase(active, snapshot, text, shared.train, start.timestamp())
    except (ValueError, KeyError, RuntimeError) as problem:
        report.notes.append(f"the active version {active_version} cannot rank this catalogue: {problem}")
        return report
    mine = candidate if shared is data else rebase(candidate, snapshot, text, shared.train, start.timestamp())
    if start > split.train_end:
        report.notes.append(
            f"compared from {start.isoformat()}: the active version's weights saw the window before it"
        )
    report.comparison = {
        "window": {"start": start.isoformat(), "end": split.test_end.isoformat()},
        "pairs": _pairs(shared.test_queries),
        "candidate": window_scores(mine, shared.test_queries),
        "active": window_scores(rebased, shared.test_queries),
    }
    return report
