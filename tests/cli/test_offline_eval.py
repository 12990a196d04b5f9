"""`affinity eval --data DIR` reads every file layout `affinity ingest DIR` accepts, checked the same way.

A synthetic catalogue is written in the baseline layout (`tests.factories.write_snapshot_input_files`:
products JSON Lines, customers JSON Lines, order lines CSV, plus a reviews file), then rewritten in
every other layout docs/ingest.md documents. Each must give the snapshot the baseline gives: the same
products (text, tags, category, price, review texts) and the same baskets (order, customer, time,
product set). Invalid input fails with ingest's own messages (file, line, field) before anything is
trained.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from affinity.errors import AffinityError, ValidationFailedError
from cli.main import app
from cli.offline_eval import read_dataset
from ingest.readers import kind_of
from tests.factories import write_snapshot_input_files
from training.snapshot import Basket, CatalogueSnapshot, ProductText
from training.synthetic import make_synthetic_snapshot

Rows = list[dict[str, Any]]
BasketKey = tuple[str, str | None, datetime, frozenset[str]]

LINE_COLUMNS = ["order_id", "customer_id", "ts", "product_id", "quantity", "unit_price"]
REVIEW_COLUMNS = ["id", "product_id", "customer_id", "rating", "text", "ts"]


def _content(snapshot: CatalogueSnapshot) -> tuple[list[ProductText], list[BasketKey]]:
    products = sorted(snapshot.products, key=lambda p: p.id)
    baskets = sorted((b.order_id, b.customer_id, b.ts, frozenset(b.product_ids)) for b in snapshot.baskets)
    return products, baskets


def _open(path: Path, mode: str) -> Any:
    if path.name.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8", newline="")
    return path.open(mode, encoding="utf-8", newline="")


def _write_jsonl(path: Path, rows: Rows) -> None:
    with _open(path, "w") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)


def _write_csv(path: Path, rows: Rows, columns: list[str]) -> None:
    with _open(path, "w") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _product_cells(rows: Rows) -> Rows:
    """Products as CSV cells: tags `|`-separated, the category path `>`-separated (docs/ingest.md)."""
    return [{**row, "tags": "|".join(row["tags"]), "category": " > ".join(row["category"])} for row in rows]


class Baseline:
    """The baseline directory and its records, to be rewritten in other layouts."""

    def __init__(self, root: Path) -> None:
        synthetic = make_synthetic_snapshot(n_products=30, n_baskets=120, seed=3)
        guest = Basket(
            order_id="guest-1",
            customer_id=None,
            ts=synthetic.baskets[0].ts + timedelta(hours=5),
            product_ids=(synthetic.products[0].id, synthetic.products[1].id),
        )
        self.truth = synthetic.with_baskets([*synthetic.baskets, guest])
        self.path = write_snapshot_input_files(self.truth, root / "baseline")
        self.products = [json.loads(line) for line in (self.path / "products.jsonl").read_text().splitlines()]
        self.customers = [
            json.loads(line) for line in (self.path / "customers.jsonl").read_text().splitlines()
        ]
        with (self.path / "order_lines.csv").open(newline="") as handle:
            self.lines: Rows = list(csv.DictReader(handle))
        # The same lines as JSON values: numbers as numbers, a guest order's customer as null.
        self.line_objects: Rows = [
            {**line, "customer_id": line["customer_id"] or None, "quantity": int(line["quantity"]),
             "unit_price": float(line["unit_price"])}
            for line in self.lines
        ]  # fmt: skip
        start = self.truth.baskets[0].ts
        customer = self.customers[0]["id"]
        self.reviews: Rows = [
            {"id": "r1", "product_id": self.products[0]["id"], "customer_id": customer, "rating": 5,
             "text": "Sturdy, and the colour is true", "ts": (start + timedelta(days=2)).isoformat()},
            {"id": "r2", "product_id": self.products[0]["id"], "customer_id": None, "rating": 2,
             "text": "Chipped on arrival", "ts": (start + timedelta(days=9)).isoformat()},
            {"id": "r3", "product_id": self.products[1]["id"], "customer_id": None, "rating": 4,
             "text": "Nice", "ts": start.isoformat()},
        ]  # fmt: skip
        _write_jsonl(self.path / "reviews.jsonl", self.reviews)
        self.root = root

    def layout(self, name: str, **files: Callable[[Path], None]) -> Path:
        """A directory holding ``files`` (file name -> writer); kinds not given are the baseline's files."""
        directory = self.root / name
        directory.mkdir()
        replaced = {kind_of(Path(file)) for file in files}
        for source in self.path.iterdir():
            if kind_of(source) not in replaced:
                shutil.copy(source, directory / source.name)
        for file, write in files.items():
            write(directory / file)
        return directory


@pytest.fixture
def baseline(tmp_path: Path) -> Baseline:
    return Baseline(tmp_path)


def _lines_csv(rows: Rows) -> Callable[[Path], None]:
    return lambda path: _write_csv(path, rows, LINE_COLUMNS)


def _jsonl(rows: Rows) -> Callable[[Path], None]:
    return lambda path: _write_jsonl(path, rows)


# name -> the files that replace the baseline's files of their kind (built from the baseline's records)
LAYOUTS: dict[str, Callable[[Baseline], dict[str, Callable[[Path], None]]]] = {
    "order lines as JSON Lines": lambda b: {"order_lines.jsonl": _jsonl(b.line_objects)},
    "order lines as gzipped NDJSON": lambda b: {"order_lines.ndjson.gz": _jsonl(b.line_objects)},
    "order lines as gzipped CSV": lambda b: {"order_lines.csv.gz": _lines_csv(b.lines)},
    # Every other line in each file: most orders have lines in both files.
    "order lines in two CSV files, orders split across them": lambda b: {
        "order_lines-a.csv": _lines_csv(b.lines[0::2]),
        "order_lines_b.csv": _lines_csv(b.lines[1::2]),
    },
    "order lines in three files of mixed formats": lambda b: {
        "order_lines.2011-q1.csv": _lines_csv(b.lines[0::3]),
        "order_lines-2011-q2.jsonl": _jsonl(b.line_objects[1::3]),
        "order_lines_2011-q3.jsonl.gz": _jsonl(b.line_objects[2::3]),
    },
    "products as CSV": lambda b: {
        "products.csv": lambda path: _write_csv(path, _product_cells(b.products), list(b.products[0]))
    },
    "products in two files, JSON Lines and gzipped CSV": lambda b: {
        "products-a.jsonl": _jsonl(b.products[:12]),
        "products-b.csv.gz": lambda path: _write_csv(
            path, _product_cells(b.products[12:]), list(b.products[0])
        ),
    },
    "customers and reviews as CSV": lambda b: {
        "customers.csv": lambda path: _write_csv(path, b.customers, ["id", "country"]),
        "reviews.csv": lambda path: _write_csv(path, b.reviews, REVIEW_COLUMNS),
    },
    "every kind gzipped, reviews in two files": lambda b: {
        "products.jsonl.gz": _jsonl(b.products),
        "customers.jsonl.gz": _jsonl(b.customers),
        "order_lines.csv.gz": _lines_csv(b.lines),
        "reviews-old.jsonl.gz": _jsonl(b.reviews[:1]),
        "reviews-new.csv.gz": lambda path: _write_csv(path, b.reviews[1:], REVIEW_COLUMNS),
    },
}


def test_the_baseline_reads_back_what_was_written(baseline: Baseline) -> None:
    snapshot = read_dataset(baseline.path)
    products, baskets = _content(snapshot)
    truth = {p.id: p for p in baseline.truth.products}
    assert [p.id for p in products] == sorted(truth)
    assert all(p.title == truth[p.id].title and set(p.tags) == set(truth[p.id].tags) for p in products)
    assert baskets == _content(baseline.truth)[1]
    assert ("guest-1", None) in {(order, customer) for order, customer, _, _ in baskets}
    # Reviews newest first, per product.
    assert snapshot.products[snapshot.index[baseline.products[0]["id"]]].review_texts == (
        "Chipped on arrival",
        "Sturdy, and the colour is true",
    )


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_ingest_layout_gives_the_baseline_snapshot(baseline: Baseline, name: str) -> None:
    directory = baseline.layout(name.replace(" ", "-"), **LAYOUTS[name](baseline))
    assert {path.name for path in directory.iterdir()} != {path.name for path in baseline.path.iterdir()}
    assert _content(read_dataset(directory)) == _content(read_dataset(baseline.path))


def test_a_second_order_lines_file_is_read_not_ignored(baseline: Baseline) -> None:
    more = [{**line, "order_id": "more-" + line["order_id"]} for line in baseline.line_objects[:20]]
    directory = baseline.layout(
        "more", **{"order_lines.csv": _lines_csv(baseline.lines), "order_lines-more.jsonl": _jsonl(more)}
    )
    expected = len(baseline.truth.baskets) + len({line["order_id"] for line in more})
    assert len(read_dataset(directory).baskets) == expected


def _invalid(baseline: Baseline) -> Path:
    """Order lines as JSON Lines, line 3 with a quantity that is not a number."""
    lines = [dict(line) for line in baseline.line_objects]
    lines[2]["quantity"] = "two"
    return baseline.layout("invalid", **{"order_lines.jsonl": _jsonl(lines)})


def test_an_invalid_line_fails_naming_file_line_and_field(baseline: Baseline) -> None:
    directory = _invalid(baseline)
    with pytest.raises(ValidationFailedError, match="nothing was evaluated") as raised:
        read_dataset(directory)
    assert [problem.split(": ")[:2] for problem in raised.value.problems] == [
        [f"{directory / 'order_lines.jsonl'}:3", "quantity"]
    ]


def test_an_unknown_product_and_an_unknown_file_fail_as_ingest_does(baseline: Baseline) -> None:
    lines = [*baseline.lines, {**baseline.lines[0], "product_id": "NOPE"}]
    directory = baseline.layout("unknown", **{"order_lines.csv": _lines_csv(lines)})
    with pytest.raises(ValidationFailedError) as raised:
        read_dataset(directory)
    assert raised.value.problems == [
        f"{directory / 'order_lines.csv'}:{len(lines) + 1}: product_id: unknown product 'NOPE' "
        "(not in the input files, not in the graph)"
    ]
    (baseline.path / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(AffinityError, match="cannot tell what the file holds"):
        read_dataset(baseline.path)


runner = CliRunner()


def test_eval_cli_reports_the_invalid_line_and_writes_nothing(baseline: Baseline, tmp_path: Path) -> None:
    directory = _invalid(baseline)
    out = tmp_path / "report"
    result = runner.invoke(app, ["eval", "--data", str(directory), "--quick", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "nothing was evaluated" in result.output
    assert f"{directory / 'order_lines.jsonl'}:3: quantity:" in result.output
    assert not out.exists()


def test_eval_customers_writes_both_protocols(baseline: Baseline, tmp_path: Path) -> None:
    out = tmp_path / "customers"
    args = ["eval", "--data", str(baseline.path), "--customers", "--out", str(out), "--seeds", "7", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    # --json: the tables went to stderr; stdout is the numbers the report's JSON holds
    printed = json.loads(result.stdout)
    assert printed["results"] == json.loads((out / "customers.json").read_text(encoding="utf-8"))
    assert printed["results"]["next_basket"]["TIFU-KNN"]["recall"] >= 0
    text = (out / "customers.md").read_text(encoding="utf-8")
    assert "### Next basket (known customers)" in text and "### Basket completion with the customer" in text
    assert "| TIFU-KNN |" in text and "| buy-again (decayed) |" in text
    missing = runner.invoke(
        app, ["eval", "--data", str(baseline.path), "--customers", "--item-model", str(tmp_path)]
    )
    assert missing.exit_code == 1 and "holds no trained model" in missing.output
