"""Time split: periods, warm/cold, and the shipped-data split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from training.snapshot import Basket, CatalogueSnapshot, ProductText
from training.split import ONLINE_RETAIL_SPLIT, TimeSplit, make_split

T0 = datetime(2011, 1, 1, tzinfo=UTC)


def _snapshot() -> CatalogueSnapshot:
    products = [ProductText(p, p.upper()) for p in "abcdef"]
    baskets = [
        Basket("1", "c1", T0, ("a", "b")),
        Basket("2", "c1", T0 + timedelta(days=10), ("a", "c")),
        Basket("3", "c2", T0 + timedelta(days=25), ("c", "d")),  # validation: d is new there
        Basket("4", "c2", T0 + timedelta(days=31), ("a", "e")),  # test: e is cold
        Basket("5", None, T0 + timedelta(days=32), ("d", "b", "f")),
    ]
    return CatalogueSnapshot(products, baskets)


def test_periods_and_warm_cold() -> None:
    split = TimeSplit(val_start=T0 + timedelta(days=20), train_end=T0 + timedelta(days=30))
    data = make_split(_snapshot(), split)
    assert (len(data.fit), len(data.val), len(data.train), len(data.test)) == (2, 1, 3, 2)
    assert data.warm_fit.tolist() == [True, True, True, False, False, False]
    assert data.warm_train.tolist() == [True, True, True, True, False, False]
    # validation pairs: (c warm, d cold w.r.t. fit); test pairs: a, e (cold), d, b, f (cold)
    assert data.val_queries.warm.tolist() == [True, False]
    assert len(data.test_queries) == 5
    assert int((~data.test_queries.warm).sum()) == 2
    sizes = data.sizes()
    assert sizes["test_cold_pairs"] == 2 and sizes["test_cold_products"] == 2


def test_split_rejects_disordered_bounds() -> None:
    with pytest.raises(ValueError):
        TimeSplit(val_start=T0 + timedelta(days=2), train_end=T0)
    with pytest.raises(ValueError):
        TimeSplit(val_start=T0, train_end=T0 + timedelta(days=2), test_end=T0 + timedelta(days=1))


def test_for_training_and_ending() -> None:
    last = datetime(2011, 9, 30, 17, 22, tzinfo=UTC)
    s = TimeSplit.for_training(last, val_days=28)
    assert s.train_end > last and s.train_end - s.val_start == timedelta(days=28)
    assert s.test_end is None
    e = TimeSplit.ending(last, test_days=61, val_days=28)
    assert e.test_end == datetime(2011, 10, 1, tzinfo=UTC)
    assert e.train_end == datetime(2011, 8, 1, tzinfo=UTC)


def test_shipped_split_dates() -> None:
    assert ONLINE_RETAIL_SPLIT.train_end == datetime(2011, 8, 1, tzinfo=UTC)
    assert ONLINE_RETAIL_SPLIT.val_start == datetime(2011, 7, 4, tzinfo=UTC)
    assert ONLINE_RETAIL_SPLIT.test_end == datetime(2011, 10, 1, tzinfo=UTC)


def test_test_period_never_leaks_into_train() -> None:
    split = TimeSplit(val_start=T0 + timedelta(days=20), train_end=T0 + timedelta(days=30))
    data = make_split(_snapshot(), split)
    assert np.all(data.train.ts < split.train_end.timestamp())
    assert np.all(data.test.ts >= split.train_end.timestamp())
