"""`affinity ingest` against a real Neo4j: all-or-nothing validation, idempotence, crash and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import neo4j
import pytest

import cypher
from affinity.errors import ValidationFailedError
from affinity.settings import Settings
from tests.factories import make_dataset, run_ingest
from tests.statements import TEST_CYPHER

pytestmark = pytest.mark.integration

GRAPH_NODES = TEST_CYPHER.query("graph_nodes")
GRAPH_RELATIONSHIPS = TEST_CYPHER.query("graph_relationships")
PRODUCT_REVIEWS = cypher.query("products.export_reviews")
ORDER_CONTENTS = TEST_CYPHER.query("order_contents")
PRODUCT_LINKS = TEST_CYPHER.query("product_links")
COUNT_ORDERS = TEST_CYPHER.query("count_orders")
CLEAR_DATA = TEST_CYPHER.query("clear_data")
CUSTOMER_HISTORY = cypher.query("explore.customer_history")
VOLATILE = {"updated_at"}  # set from the clock on every write


def snapshot(driver: neo4j.Driver, database: str) -> tuple[Counter[str], Counter[str]]:
    """The graph's content, comparable between runs (volatile properties left out)."""

    def plain(properties: dict[str, Any]) -> str:
        kept = {key: str(value) for key, value in properties.items() if key not in VOLATILE}
        return json.dumps(kept, sort_keys=True)

    nodes, _, _ = driver.execute_query(GRAPH_NODES, database_=database)
    relationships, _, _ = driver.execute_query(GRAPH_RELATIONSHIPS, database_=database)
    return (
        Counter(f"{sorted(r['labels'])} {plain(r['properties'])}" for r in nodes),
        Counter(f"{r['type']} {r['start']} {r['end']} {plain(r['properties'])}" for r in relationships),
    )


def cli(*args: str, **env: str) -> subprocess.Popen[str]:
    # The session fixtures put the test servers' AFFINITY_* variables in os.environ.
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_ingest_writes_the_graph_model(empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path) -> None:
    result = run_ingest(empty_graph, settings, make_dataset(tmp_path / "shop"))
    created = {kind: outcome.created for kind, outcome in result.outcomes.items()}
    assert created == {"categories": 3, "products": 20, "customers": 10, "orders": 30, "reviews": 2}
    assert result.order_lines == 90
    _, relationships = snapshot(empty_graph, settings.neo4j_database)
    types = Counter(key.split(" ")[0] for key in relationships.elements())
    assert types == {"CONTAINS": 90, "PLACED": 24, "TAGGED": 40, "IN_CATEGORY": 20, "SUBCATEGORY_OF": 2,
                     "REVIEWS": 2, "WROTE": 1}  # fmt: skip
    records, _, _ = empty_graph.execute_query(
        ORDER_CONTENTS, orderId="O00001", database_=settings.neo4j_database
    )
    assert records[0]["ts"].to_native().isoformat() == "2011-03-02T10:01:00+00:00"
    assert [(r["qty"], r["product"]) for r in records] == [(1, "P0001"), (2, "P0008"), (3, "P0015")]


def test_second_run_changes_nothing(empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path) -> None:
    shop = make_dataset(tmp_path / "shop")
    run_ingest(empty_graph, settings, shop)
    before = snapshot(empty_graph, settings.neo4j_database)
    again = run_ingest(empty_graph, settings, shop)
    assert all(outcome.changed == 0 for outcome in again.outcomes.values())
    assert again.outcomes["orders"].unchanged == 30
    assert snapshot(empty_graph, settings.neo4j_database) == before


def test_an_edited_record_is_updated(empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path) -> None:
    shop = make_dataset(tmp_path / "shop")
    run_ingest(empty_graph, settings, shop)
    (tmp_path / "edit").mkdir()
    (tmp_path / "edit" / "products.jsonl").write_text(
        json.dumps(
            {"id": "P0003", "title": "Renamed", "tags": ["colour:c0"], "category": ["Home", "Shelf 0"]}
        )
        + "\n"
    )
    result = run_ingest(empty_graph, settings, tmp_path / "edit")
    assert (result.outcomes["products"].updated, result.outcomes["products"].unchanged) == (1, 0)
    records, _, _ = empty_graph.execute_query(
        PRODUCT_LINKS, productId="P0003", database_=settings.neo4j_database
    )
    assert records[0].data() == {
        "title": "Renamed",
        "price": None,
        "tags": ["colour:c0"],
        "categories": ["home/shelf-0"],
    }


MALFORMED = {
    "bad quoting": ("customers.csv", 'id,country\nC900,"France\nC901,Spain\n', "bad CSV quoting"),
    "missing column": (
        "order_lines.csv",
        "order_id,ts,quantity\nO9,2011-01-01,1\n",
        "product_id: missing column",
    ),
    "wrong type": (
        "order_lines.csv",
        "order_id,customer_id,ts,product_id,quantity,unit_price\nO9,,2011-01-01,P0001,many,1\n",
        ":2: quantity: Input should be a valid integer",
    ),
    "unknown product": (
        "order_lines.csv",
        "order_id,customer_id,ts,product_id,quantity,unit_price\nO9,,2011-01-01,NOPE,1,1\n",
        ":2: product_id: unknown product 'NOPE'",
    ),
    "conflicting duplicate": (
        "products-again.jsonl",
        '{"id": "P0002", "title": "Another title"}\n',
        "title: duplicate product 'P0002' with conflicting values",
    ),
    "empty file": ("reviews.jsonl", "", "empty file: no records"),
    "not UTF-8": ("customers.csv", b"id,country\nC900,Espa\xf1a\n", ":2: not UTF-8: byte 0xf1"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_file_writes_nothing(
    empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path, case: str
) -> None:
    shop = make_dataset(tmp_path / "shop")
    name, content, expected = MALFORMED[case]
    bad = shop / name
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValidationFailedError) as failure:
        run_ingest(empty_graph, settings, shop)
    assert any(problem.startswith(str(bad)) and expected in problem for problem in failure.value.problems), (
        failure.value.problems
    )
    assert snapshot(empty_graph, settings.neo4j_database) == (Counter(), Counter())


def test_cli_rejects_then_skip_invalid_reports_each_skipped_record(
    empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path
) -> None:
    shop = make_dataset(tmp_path / "shop", orders=5)
    lines = shop / "order_lines.csv"
    lines.write_text(lines.read_text() + "O99999,,2011-01-01T00:00:00Z,NOPE,1,1\n")
    rejected = cli("ingest", str(shop))
    output, _ = rejected.communicate(timeout=120)
    assert rejected.returncode == 1, output
    assert f"{lines}:17: product_id: unknown product 'NOPE'" in output
    assert "nothing was written" in output
    assert snapshot(empty_graph, settings.neo4j_database) == (Counter(), Counter())

    accepted = cli("ingest", "--skip-invalid", str(shop))
    output, _ = accepted.communicate(timeout=120)
    assert accepted.returncode == 0, output
    assert f"skipped {lines}:17: product_id: unknown product 'NOPE'" in output
    records, _, _ = empty_graph.execute_query(COUNT_ORDERS, database_=settings.neo4j_database)
    assert records[0]["n"] == 5


def test_crash_mid_ingest_then_rerun_equals_a_clean_run(
    empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path
) -> None:
    shop = make_dataset(tmp_path / "shop", products=200, orders=4000, lines=4)
    process = cli("ingest", str(shop), AFFINITY_INGEST_BATCH_SIZE="40")
    deadline = time.monotonic() + 120
    written = 0
    while written < 300 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        records, _, _ = empty_graph.execute_query(COUNT_ORDERS, database_=settings.neo4j_database)
        written = records[0]["n"]
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    records, _, _ = empty_graph.execute_query(COUNT_ORDERS, database_=settings.neo4j_database)
    assert 0 < records[0]["n"] < 4000, "the kill should land mid-ingest"

    resumed = run_ingest(empty_graph, settings, shop, batch_size=500)
    assert resumed.outcomes["orders"].unchanged == records[0]["n"]  # committed batches are kept as they are
    assert resumed.outcomes["orders"].created == 4000 - records[0]["n"]
    after_crash = snapshot(empty_graph, settings.neo4j_database)

    with empty_graph.session(database=settings.neo4j_database) as session:
        session.run(CLEAR_DATA).consume()
    run_ingest(empty_graph, settings, shop, batch_size=500)
    assert snapshot(empty_graph, settings.neo4j_database) == after_crash


def test_reviews_reach_the_training_export(
    empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path
) -> None:
    run_ingest(empty_graph, settings, make_dataset(tmp_path / "shop"))
    records, _, _ = empty_graph.execute_query(
        PRODUCT_REVIEWS, after="", batch_size=10, max_reviews=5, database_=settings.neo4j_database
    )
    assert [(r["key"], r["texts"]) for r in records] == [("P0001", ["Chipped", "Sturdy"])]
    history, _, _ = empty_graph.execute_query(
        CUSTOMER_HISTORY, customerId="C001", database_=settings.neo4j_database
    )
    assert len(history) == 3  # orders 1, 11, 21 of customer C001, newest first
    assert [row["order"] for row in history] == ["O00021", "O00011", "O00001"]


def test_availability_from_the_input_file(
    empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path
) -> None:
    shop = make_dataset(tmp_path / "shop")
    run_ingest(empty_graph, settings, shop)
    (tmp_path / "edit").mkdir()
    edit = tmp_path / "edit" / "products.csv"
    header = "id,title,description,price,tags,category,available\n"
    row = "P0003,Product 3,plain,4.5,colour:c0|type:t3,Home > Shelf 1,"  # as make_dataset wrote it
    # An explicit `available: true` is the default: the stored digest still matches, nothing is written.
    edit.write_text(header + row + "true\n")
    assert run_ingest(empty_graph, settings, tmp_path / "edit").outcomes["products"].unchanged == 1
    edit.write_text(header + row + "false\n")
    assert run_ingest(empty_graph, settings, tmp_path / "edit").outcomes["products"].updated == 1
    records, _, _ = empty_graph.execute_query(
        cypher.query("products.by_ids"), ids=["P0003", "P0004"], database_=settings.neo4j_database
    )
    assert {r["id"]: r["available"] for r in records} == {"P0003": False, "P0004": True}


def test_several_category_paths_and_unknown_quantities(
    empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path
) -> None:
    shop = make_dataset(tmp_path / "shop")
    run_ingest(empty_graph, settings, shop)
    before = snapshot(empty_graph, settings.neo4j_database)
    assert all(o.changed == 0 for o in run_ingest(empty_graph, settings, shop).outcomes.values())
    assert snapshot(empty_graph, settings.neo4j_database) == before  # the new fields changed no digest
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "products.csv").write_text(
        "id,title,category,categories\nMUG,Mug,Kitchen > Cups,Gifts|Gifts > For her\n"
    )
    (tmp_path / "more" / "order_lines.csv").write_text(
        "order_id,customer_id,ts,product_id,quantity,unit_price\nO-NEW,,2011-09-01T10:00:00,MUG,,\n"
    )
    run_ingest(empty_graph, settings, tmp_path / "more")
    db = settings.neo4j_database
    (links,) = empty_graph.execute_query(PRODUCT_LINKS, productId="MUG", database_=db).records
    assert sorted(links["categories"]) == ["gifts", "gifts/for-her", "kitchen/cups"]
    (line,) = empty_graph.execute_query(ORDER_CONTENTS, orderId="O-NEW", database_=db).records
    assert (line["qty"], line["price"]) == (None, None)  # unknown, not a free item
    (tmp_path / "more" / "products.csv").write_text("id,title,category\nMUG,Mug,Kitchen > Cups\n")
    run_ingest(empty_graph, settings, tmp_path / "more")
    (links,) = empty_graph.execute_query(PRODUCT_LINKS, productId="MUG", database_=db).records
    assert links["categories"] == ["kitchen/cups"]  # paths no longer given are unlinked
