"""Snapshot builders from the documented dataset files, and timestamps."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from training.snapshot import Basket, CatalogueSnapshot, ProductText, from_dataset_dir, to_datetime


def _write(directory: Path) -> None:
    products = [
        {"id": "A", "title": "RED MUG", "description": "", "price": 1.5, "tags": ["colour:red", "type:mug"],
         "category": ["Kitchen", "Mugs"]},
        {"id": "B", "title": "BLUE MUG", "price": None, "tags": [], "category": []},
        {"id": "C", "title": "CANDLE"},
    ]  # fmt: skip
    (directory / "products.jsonl").write_text("\n".join(json.dumps(p) for p in products) + "\n")
    lines = (
        "order_id,customer_id,ts,product_id,quantity,unit_price\n"
        "o1,c1,2011-01-02T10:00:00Z,A,1,1.5\n"
        "o1,c1,2011-01-02T10:00:00Z,B,2,1.0\n"
        "o2,,2011-01-01 09:00:00,C,1,3.0\n"
        "o2,,2011-01-01 09:00:00,GONE,1,3.0\n"
    )
    with gzip.open(directory / "order_lines.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write(lines)
    (directory / "reviews.jsonl").write_text(
        json.dumps({"id": "r1", "product_id": "A", "text": "lovely"}) + "\n"
    )


def test_from_dataset_dir(tmp_path: Path) -> None:
    _write(tmp_path)
    snap = from_dataset_dir(tmp_path)
    assert [p.id for p in snap.products] == ["A", "B", "C"]
    a = snap.products[0]
    assert a.tags == ("colour:red", "type:mug") and a.category == ("Kitchen", "Mugs") and a.price == 1.5
    assert a.review_texts == ("lovely",)
    assert snap.products[1].price is None
    # sorted by time; the unknown product is skipped; the guest order has no customer
    assert [b.order_id for b in snap.baskets] == ["o2", "o1"]
    assert snap.baskets[0].product_ids == ("C",) and snap.baskets[0].customer_id is None
    assert snap.baskets[1].product_ids == ("A", "B") and snap.baskets[1].customer_id == "c1"
    assert snap.baskets[1].ts == datetime(2011, 1, 2, 10, tzinfo=UTC)
    assert snap.summary()["basket_lines"] == 3


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"products\.jsonl"):
        from_dataset_dir(tmp_path)


def test_to_datetime_forms() -> None:
    expected = datetime(2011, 3, 1, 10, 26, tzinfo=UTC)
    assert to_datetime("2011-03-01T10:26:00Z") == expected
    assert to_datetime("2011-03-01 10:26:00") == expected
    assert to_datetime("2011-03-01T11:26:00+01:00") == expected
    assert to_datetime(datetime(2011, 3, 1, 11, 26, tzinfo=timezone(timedelta(hours=1)))) == expected
    assert to_datetime(expected.timestamp()) == expected
    with pytest.raises(ValueError):
        to_datetime(object())


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        CatalogueSnapshot([ProductText("a", "x"), ProductText("a", "y")], [])


def test_between_and_with_baskets() -> None:
    t0 = datetime(2011, 1, 1, tzinfo=UTC)
    snap = CatalogueSnapshot(
        [ProductText("a", "x")], [Basket(str(i), None, t0 + timedelta(days=i), ("a",)) for i in range(5)]
    )
    assert [b.order_id for b in snap.between(t0 + timedelta(days=1), t0 + timedelta(days=3))] == ["1", "2"]
    assert len(snap.with_baskets(snap.baskets[:2]).baskets) == 2
