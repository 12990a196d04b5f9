"""The training export (`export_*` statements in `cypher/`) against a real Neo4j filled by the real ingest.

The same files read directly (`from_dataset_dir`) and exported back out of the graph
(`from_neo4j`, with small pages so keyset pagination runs over several batches) must give the same
snapshot: products with tags, category path and review texts; baskets with customer and time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import neo4j
import pytest

import cypher
from affinity.settings import Settings
from tests.factories import make_dataset, run_ingest
from training.snapshot import CatalogueSnapshot, from_dataset_dir, from_neo4j

pytestmark = pytest.mark.integration

WRITE_EMBEDDINGS = cypher.query("embedding.write_embeddings")
EXPORT_EMBEDDINGS = cypher.query("embedding.stored_embeddings")


def test_export_equals_the_files(empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path) -> None:
    shop = make_dataset(tmp_path / "shop", products=23, orders=31)
    run_ingest(empty_graph, settings, shop)
    from_files = from_dataset_dir(shop)
    steps: list[str] = []
    exported = from_neo4j(
        empty_graph, settings.neo4j_database, batch_size=7, progress=lambda s, d, t: steps.append(s)
    )
    assert {"export products", "export baskets"} <= set(steps)
    assert sorted(exported.products, key=lambda p: p.id) == sorted(from_files.products, key=lambda p: p.id)
    reviewed = exported.products[exported.index["P0001"]]
    assert reviewed.review_texts == ("Chipped", "Sturdy")  # newest first
    assert reviewed.category == ("Home", "Shelf 1")

    def baskets(snapshot: CatalogueSnapshot) -> list[tuple[str, str | None, datetime, frozenset[str]]]:
        return sorted((b.order_id, b.customer_id, b.ts, frozenset(b.product_ids)) for b in snapshot.baskets)

    assert baskets(exported) == baskets(from_files)
    assert len(exported.baskets) == 31
    assert all(b.ts.tzinfo is not None for b in exported.baskets)


def test_export_time_window(empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path) -> None:
    run_ingest(empty_graph, settings, make_dataset(tmp_path / "shop", orders=31))
    since = datetime(2011, 3, 10, tzinfo=UTC)
    until = datetime(2011, 3, 20, tzinfo=UTC)
    window = from_neo4j(empty_graph, settings.neo4j_database, since=since, until=until, batch_size=5)
    everything = from_neo4j(empty_graph, settings.neo4j_database)
    expected = [b.order_id for b in everything.baskets if since <= b.ts < until]
    assert [b.order_id for b in window.baskets] == expected and 0 < len(expected) < 31
    assert len(window.products) == len(everything.products)


def test_stored_embeddings_page_by_id(empty_graph: neo4j.Driver, settings: Settings, tmp_path: Path) -> None:
    run_ingest(empty_graph, settings, make_dataset(tmp_path / "shop", products=12))
    rows = [{"id": f"P{i:04d}", "embedding": [float(i)] * 4, "text_hash": f"h{i}"} for i in range(0, 12, 2)]
    empty_graph.execute_query(WRITE_EMBEDDINGS, rows=rows, model="m", database_=settings.neo4j_database)
    seen: list[str] = []
    after = ""
    while True:
        page, _, _ = empty_graph.execute_query(
            EXPORT_EMBEDDINGS, after=after, batch_size=4, database_=settings.neo4j_database
        )
        seen += [r["key"] for r in page]
        assert all(r["embedding_model"] == "m" and r["text_hash"].startswith("h") for r in page)
        if len(page) < 4:
            break
        after = page[-1]["key"]
    assert seen == [r["id"] for r in rows]
