"""Model versions against a real Neo4j: write-back, gated activation, rollback, prune."""

from __future__ import annotations

import neo4j
import pytest

from affinity.settings import Settings
from stores import versions
from stores.versions import VersionError
from tests.factories import active_edges
from tests.statements import TEST_CYPHER

pytestmark = pytest.mark.integration

PRODUCTS = [{"id": f"p{i}", "title": f"product {i}"} for i in range(6)]


def edges_for(version_seed: int) -> list[dict[str, object]]:
    rows = []
    for i in range(6):
        for rank, j in enumerate([(i + version_seed) % 6, (i + version_seed + 1) % 6], start=1):
            if j != i:
                rows.append(
                    {
                        "source": f"p{i}",
                        "target": f"p{j}",
                        "score": 1.0 / rank,
                        "rank": rank,
                        "kind": "complement",
                    }
                )
    return rows


def make_version(driver: neo4j.Driver, db: str, name: str, seed: int, ndcg: float) -> None:
    versions.create_candidate(driver, db, name, {"seed": seed}, "2011-01-01/2011-09-01", job_id=name)
    rows = edges_for(seed)
    versions.write_edges(driver, db, name, rows, batch_size=4, total=len(rows))
    versions.set_metrics(driver, db, name, {"overall": {"ndcg": ndcg}})


@pytest.fixture
def graph(empty_graph: neo4j.Driver, settings: Settings) -> neo4j.Driver:
    empty_graph.execute_query(
        TEST_CYPHER.query("create_products"), rows=PRODUCTS, database_=settings.neo4j_database
    )
    return empty_graph


def test_candidate_is_invisible_until_activated(graph: neo4j.Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    make_version(graph, db, "v1", seed=1, ndcg=0.2)
    assert active_edges(graph, db) == set()
    assert versions.activate(graph, db, "v1") is None
    assert len(active_edges(graph, db)) == versions.count_edges(graph, db, "v1") > 0


def test_rewrite_of_a_version_leaves_no_orphans(graph: neo4j.Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    make_version(graph, db, "v1", seed=1, ndcg=0.2)
    # A second write of the same version (a re-run after a crash) replaces, never adds.
    rows = edges_for(2)
    versions.write_edges(graph, db, "v1", rows, batch_size=3, total=len(rows))
    assert versions.count_edges(graph, db, "v1") == len(rows)


def test_gate_refuses_a_worse_version_unless_forced(graph: neo4j.Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    make_version(graph, db, "v1", seed=1, ndcg=0.30)
    versions.activate(graph, db, "v1")
    make_version(graph, db, "v2", seed=2, ndcg=0.10)
    with pytest.raises(VersionError, match="scores worse"):
        versions.activate(graph, db, "v2")
    assert versions.active(graph, db).id == "v1"  # type: ignore[union-attr]
    assert versions.activate(graph, db, "v2", force=True) == "v1"
    assert versions.active(graph, db).id == "v2"  # type: ignore[union-attr]


def test_rollback_restores_the_old_edges_exactly(graph: neo4j.Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    make_version(graph, db, "v1", seed=1, ndcg=0.2)
    versions.activate(graph, db, "v1")
    before = active_edges(graph, db)
    make_version(graph, db, "v2", seed=3, ndcg=0.3)
    versions.activate(graph, db, "v2")
    assert active_edges(graph, db) != before
    assert versions.rollback(graph, db) == "v1"
    assert active_edges(graph, db) == before
    statuses = {v.id: v.status for v in versions.list_versions(graph, db)}
    assert statuses == {"v1": "active", "v2": "retired"}


def test_prune_keeps_active_and_newest(graph: neo4j.Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    for i in range(1, 5):
        make_version(graph, db, f"v{i}", seed=i, ndcg=0.1 * i)
        versions.activate(graph, db, f"v{i}")
    pruned = versions.prune(graph, db, keep=1)
    assert sorted(pruned) == ["v1", "v2"]
    counts = {v.id: v.edges for v in versions.list_versions(graph, db)}
    assert counts["v1"] == counts["v2"] == 0 and counts["v3"] > 0 and counts["v4"] > 0
    assert versions.prune(graph, db, keep=1) == []


def test_unknown_and_empty_versions_are_refused(graph: neo4j.Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    with pytest.raises(VersionError, match="unknown model version 'nope'"):
        versions.activate(graph, db, "nope")
    versions.create_candidate(graph, db, "empty", {}, "", job_id="x")
    with pytest.raises(VersionError, match="no learned edges"):
        versions.activate(graph, db, "empty")
    with pytest.raises(VersionError, match="no earlier model version"):
        versions.rollback(graph, db)
