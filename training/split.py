"""Time split inside the data: fit, validation and test periods, and warm/cold queries.

::

    |---------------- train window ----------------|------- test -------|
    |------------ fit ------------|---- val -------|
    train_start                val_start      train_end             test_end

* **fit** ``[train_start, val_start)``: what models are fitted on while choosing hyper-parameters,
  early-stopping the GNN and fitting the hybrid's ranker.
* **val** ``[val_start, train_end)``: the last weeks of the train window; model selection only.
* **train** = fit + val: baselines and co-occurrence statistics are recomputed on it (with the
  hyper-parameters chosen on val) before ranking for the test; the GNN weights chosen on val are
  applied, inductively, to the train-window graph.
* **test** ``[train_end, test_end)``: never seen by any choice.

A query ``q`` is *warm* when it occurs in a basket of the period the model was fitted on (fit for
val queries, train for test queries) and *cold* otherwise; a cold product is known only by its
text and tags.

For the shipped Online Retail data (Dec 2010 - Sep 2011) :data:`ONLINE_RETAIL_SPLIT` trains on
2010-12-01 .. 2011-07-31 (validation 2011-07-04 .. 2011-07-31) and tests on 2011-08-01 ..
2011-09-30: two months of test give ~80k query pairs and ~4k cold pairs, the largest cold sample
that still leaves eight months (a full spring/summer cycle) to learn from; the test months are the
start of the Christmas wholesale season, which is what makes the time-aware baselines strong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from training.evaluate import EvalQueries, build_queries
from training.interactions import BasketArrays
from training.snapshot import CatalogueSnapshot

__all__ = ["ONLINE_RETAIL_SPLIT", "SplitData", "TimeSplit", "make_split"]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class TimeSplit:
    """Period boundaries (UTC, each end exclusive). ``test_end=None`` means "to the last basket"."""

    val_start: datetime
    train_end: datetime
    test_end: datetime | None = None
    train_start: datetime | None = None

    def __post_init__(self) -> None:
        if not self.val_start < self.train_end:
            raise ValueError("val_start must come before train_end")
        if self.test_end is not None and not self.train_end < self.test_end:
            raise ValueError("train_end must come before test_end")
        if self.train_start is not None and not self.train_start < self.val_start:
            raise ValueError("train_start must come before val_start")

    @classmethod
    def for_training(cls, last_ts: datetime, val_days: int = 28) -> TimeSplit:
        """Production retrain: train on everything up to ``last_ts``, validate on its last days."""
        end = last_ts + timedelta(seconds=1)
        return cls(val_start=end - timedelta(days=val_days), train_end=end)

    @classmethod
    def for_retrain(cls, last_ts: datetime, val_days: int = 28, gate_days: int = 14) -> TimeSplit:
        """Production retrain with an activation gate: the last ``gate_days`` up to ``last_ts`` are held
        out of every fit (the test period, scored by the gate), the ``val_days`` before them validate."""
        if gate_days <= 0:
            return cls.for_training(last_ts, val_days)
        end = last_ts + timedelta(seconds=1)
        train_end = end - timedelta(days=gate_days)
        return cls(val_start=train_end - timedelta(days=val_days), train_end=train_end, test_end=end)

    @classmethod
    def ending(cls, last_ts: datetime, test_days: int = 61, val_days: int = 28) -> TimeSplit:
        """Evaluation: the last ``test_days`` are the test, the ``val_days`` before them validation."""
        day = datetime(last_ts.year, last_ts.month, last_ts.day, tzinfo=UTC) + timedelta(days=1)
        train_end = day - timedelta(days=test_days)
        return cls(val_start=train_end - timedelta(days=val_days), train_end=train_end, test_end=day)

    def as_dict(self) -> dict[str, str | None]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "train_start": iso(self.train_start),
            "val_start": iso(self.val_start),
            "train_end": iso(self.train_end),
            "test_end": iso(self.test_end),
        }


#: The split used for the shipped data and ``docs/evaluation.md``.
ONLINE_RETAIL_SPLIT = TimeSplit(
    val_start=datetime(2011, 7, 4, tzinfo=UTC),
    train_end=datetime(2011, 8, 1, tzinfo=UTC),
    test_end=datetime(2011, 10, 1, tzinfo=UTC),
)


@dataclass(frozen=True, slots=True)
class SplitData:
    """A snapshot cut by a :class:`TimeSplit`, as arrays over the snapshot's product index."""

    split: TimeSplit
    fit: BasketArrays
    val: BasketArrays
    train: BasketArrays
    test: BasketArrays
    warm_fit: BoolArray
    warm_train: BoolArray
    val_queries: EvalQueries
    test_queries: EvalQueries

    def sizes(self) -> dict[str, int]:
        """Baskets, query pairs and warm/cold counts per period, for reports."""
        return {
            "products": int(self.fit.n_products),
            "fit_baskets": len(self.fit),
            "val_baskets": len(self.val),
            "train_baskets": len(self.train),
            "test_baskets": len(self.test),
            "products_seen_in_train": int(self.warm_train.sum()),
            "val_pairs": len(self.val_queries),
            "val_cold_pairs": int((~self.val_queries.warm).sum()),
            "test_pairs": len(self.test_queries),
            "test_warm_pairs": int(self.test_queries.warm.sum()),
            "test_cold_pairs": int((~self.test_queries.warm).sum()),
            "test_cold_products": len(np.unique(self.test_queries.q[~self.test_queries.warm])),
        }


def _seconds(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def make_split(snapshot: CatalogueSnapshot, split: TimeSplit) -> SplitData:
    """Cut ``snapshot`` into fit / val / train / test baskets and build the val and test queries."""
    everything = BasketArrays.from_baskets(snapshot.baskets, snapshot.index)
    start = _seconds(split.train_start)
    fit = everything.window(start, _seconds(split.val_start))
    val = everything.window(_seconds(split.val_start), _seconds(split.train_end))
    train = everything.window(start, _seconds(split.train_end))
    test = everything.window(_seconds(split.train_end), _seconds(split.test_end))
    warm_fit = fit.seen()
    warm_train = train.seen()
    return SplitData(
        split=split,
        fit=fit,
        val=val,
        train=train,
        test=test,
        warm_fit=warm_fit,
        warm_train=warm_train,
        val_queries=build_queries(val, warm_fit),
        test_queries=build_queries(test, warm_train),
    )
