"""`affinity associations observe` on a hand-made shop whose numbers are worked out by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import neo4j
import pytest

import cypher
from affinity.settings import Settings
from ingest.associations import ObserveReport, observe
from ingest.pipeline import ingest_paths
from tests.statements import TEST_CYPHER

pytestmark = pytest.mark.integration

BOUGHT_WITH = TEST_CYPHER.query("bought_with")
OBSERVED = cypher.query("explore.observed_associations")
FIELDS = ("baskets", "support", "confidence", "lift", "last_seen")

LINES = "order_id,customer_id,ts,product_id,quantity,unit_price\n"
# Baskets: O1 {A,B,C} on Jan 1, O2 {A,B} on Jan 2, O3 {B,C} on Jan 3, O4 {D} on Jan 4.
# N = 4; n(A) = 2, n(B) = 3, n(C) = 2, n(D) = 1; shared: AB = 2 (last Jan 2), BC = 2 (Jan 3), AC = 1.
ORDERS = {"O1": (1, "ABC"), "O2": (2, "AB"), "O3": (3, "BC"), "O4": (4, "D")}


def shop(directory: Path, orders: dict[str, tuple[int, str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "products.csv").write_text("id,title\n" + "".join(f"{p},Product {p}\n" for p in "ABCD"))
    rows = [
        f"{order},,2011-01-{day:02d}T12:00:00Z,{product},1,1.0\n"
        for order, (day, products) in orders.items()
        for product in products
    ]
    (directory / "order_lines.csv").write_text(LINES + "".join(rows))
    return directory


def edges(driver: neo4j.Driver, settings: Settings) -> dict[tuple[str, str], dict[str, object]]:
    records, _, _ = driver.execute_query(BOUGHT_WITH, database_=settings.neo4j_database)
    return {(r["source"], r["target"]): {key: r[key] for key in FIELDS} for r in records}


def day(number: int) -> datetime:
    return datetime(2011, 1, number, 12, tzinfo=UTC)


def run_observe(driver: neo4j.Driver, settings: Settings, min_support: int = 2) -> ObserveReport:
    return observe(driver, settings.neo4j_database, min_support=min_support, batch_size=3)


def test_observe_computes_support_confidence_lift(
    empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path
) -> None:
    ingest_paths(empty_graph, settings.neo4j_database, [shop(tmp_path / "a", ORDERS)], batch_size=100)
    report = run_observe(empty_graph, settings)
    assert (report.baskets, report.pairs, report.edges, report.created) == (4, 2, 4, 3)
    found = edges(empty_graph, settings)
    assert set(found) == {("A", "B"), ("B", "A"), ("B", "C"), ("C", "B")}  # AC has 1 basket < 2
    a_b, b_a = found[("A", "B")], found[("B", "A")]
    assert a_b["baskets"] == 2 and a_b["support"] == pytest.approx(2 / 4)
    assert a_b["confidence"] == pytest.approx(2 / 2)  # P(B | A)
    assert b_a["confidence"] == pytest.approx(2 / 3)  # P(A | B)
    assert a_b["lift"] == pytest.approx(2 * 4 / (2 * 3)) and b_a["lift"] == a_b["lift"]
    assert a_b["last_seen"].to_native() == day(2)
    assert found[("C", "B")]["last_seen"].to_native() == day(3)
    assert found[("C", "B")]["confidence"] == pytest.approx(1.0)

    rows, _, _ = empty_graph.execute_query(OBSERVED, productId="B", database_=settings.neo4j_database)
    assert [(r["id"], r["baskets"], r["confidence"], r["lift"]) for r in rows] == [
        ("A", 2, 0.667, 1.33),
        ("C", 2, 0.667, 1.33),
    ]


def test_observe_is_idempotent_and_incremental(
    empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path
) -> None:
    ingest_paths(empty_graph, settings.neo4j_database, [shop(tmp_path / "a", ORDERS)], batch_size=100)
    run_observe(empty_graph, settings)
    first = edges(empty_graph, settings)
    again = run_observe(empty_graph, settings)
    assert (again.created, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 4)
    assert edges(empty_graph, settings) == first

    # A new order {A, C}: N = 5, n(A) = 3, n(C) = 3, AC = 2 reaches the threshold.
    ingest_paths(
        empty_graph,
        settings.neo4j_database,
        [shop(tmp_path / "b", {**ORDERS, "O5": (5, "AC")})],
        batch_size=100,
    )
    grown = run_observe(empty_graph, settings)
    assert (grown.baskets, grown.edges, grown.created, grown.updated, grown.unchanged) == (5, 6, 0, 3, 1)
    a_c = edges(empty_graph, settings)[("A", "C")]
    assert a_c["baskets"] == 2 and a_c["support"] == pytest.approx(2 / 5)
    assert a_c["confidence"] == pytest.approx(2 / 3) and a_c["lift"] == pytest.approx(2 * 5 / (3 * 3))
    assert a_c["last_seen"].to_native() == day(5)
    assert edges(empty_graph, settings)[("A", "B")]["support"] == pytest.approx(2 / 5)

    # A higher threshold removes the edges that fall below it.
    stricter = run_observe(empty_graph, settings, min_support=3)
    assert (stricter.edges, stricter.deleted) == (0, 3)
    assert edges(empty_graph, settings) == {}


def test_observe_from_the_cli(empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path) -> None:
    ingest_paths(empty_graph, settings.neo4j_database, [shop(tmp_path / "a", ORDERS)], batch_size=100)
    command = [sys.executable, "-m", "cli.main", "associations", "observe", "--min-support", "2"]
    first = subprocess.run(command, env=os.environ, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "4 baskets, 2 product pairs, 4 BOUGHT_WITH edges" in first.stdout
    second = subprocess.run(command, env=os.environ, capture_output=True, text=True, timeout=120)
    assert "nothing changed" in second.stdout, second.stdout
