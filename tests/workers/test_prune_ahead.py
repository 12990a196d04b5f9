"""The train step's early prune against a real Neo4j: it deletes what the prune step at the end of the
retrain would delete, whether the new version is activated or rejected, so the retrain ends with the
same versions as when only the prune step pruned."""

from __future__ import annotations

import neo4j
import pytest

from affinity.settings import Settings
from stores import versions
from tests.statements import TEST_CYPHER
from tests.stores.test_versions import PRODUCTS, make_version
from workers.runner import StepContext
from workers.steps import prune_ahead

pytestmark = pytest.mark.integration


def kept(driver: neo4j.Driver, db: str) -> dict[str, str]:
    return {v.id: v.status for v in versions.list_versions(driver, db) if v.edges > 0}


@pytest.mark.parametrize("outcome", ["activated", "rejected"])
def test_the_early_prune_deletes_what_the_last_step_would(
    empty_graph: neo4j.Driver, settings: Settings, outcome: str
) -> None:
    db = settings.neo4j_database
    empty_graph.execute_query(TEST_CYPHER.query("create_products"), rows=PRODUCTS, database_=db)
    for i in range(1, 5):  # v4 active, v1-v3 retired
        make_version(empty_graph, db, f"v{i}", seed=i, ndcg=0.1 * i)
        versions.activate(empty_graph, db, f"v{i}")
    ctx = StepContext(settings.model_copy(update={"keep_versions": 2}), empty_graph, "job-5", "train")

    assert sorted(prune_ahead(ctx)) == ["v1", "v2"]  # one fewer than keep_versions retired: v3
    assert kept(empty_graph, db) == {"v3": "retired", "v4": "active"}
    assert prune_ahead(ctx) == []  # a re-run of the train step (after a crash) deletes nothing more
    make_version(empty_graph, db, "v5", seed=5, ndcg=0.5)  # the retrain's own version, then its gate
    if outcome == "activated":
        versions.activate(empty_graph, db, "v5")
    else:
        versions.mark(empty_graph, db, "v5", "rejected", "worse than the active version")

    assert versions.prune(empty_graph, db, keep=2) == []  # the prune step finds nothing left
    expected = {"v3": "retired", "v4": "retired", "v5": "active"}
    if outcome == "rejected":
        expected = {"v3": "retired", "v4": "active", "v5": "rejected"}
    assert kept(empty_graph, db) == expected
