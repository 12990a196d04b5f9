"""Crash drills under a real worker's jobs: Neo4j SIGKILLed half-way through a new version's edges,
and half-way through a refresh of edited products (the rest of the drills, and their helpers, are in
test_crash_drills.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from affinity.settings import Settings
from stores import dispatch, versions
from tests.factories import active_edges
from tests.servers import wait_for
from tests.system.test_crash_drills import (  # noqa: F401  (server: the module's Neo4j fixture)
    QUICK,
    Server,
    assert_no_duplicate_or_orphan_edges,
    first_version,
    restart,
    server,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def drilled(server: Server, redis_running: Settings) -> tuple[Server, Settings]:  # noqa: F811
    """The module's own Neo4j, with the session's Redis as the broker of its worker."""
    return server, server.settings.model_copy(update={"broker_url": redis_running.broker_url})


def test_neo4j_killed_mid_write_back_the_job_resumes_and_the_graph_is_whole(
    drilled: tuple[Server, Settings], tmp_path: Path
) -> None:
    # A retrain through a real worker, Neo4j SIGKILLed while the new version's edges are half written:
    # the write step's transient-error retry (Celery backoff) finishes the job once Neo4j is back,
    # rewriting the version from scratch, and the version active before stays whole until then.
    own, settings = drilled
    db = settings.neo4j_database
    with first_version(own, settings, tmp_path) as (_, first):
        with own.driver() as driver:
            v1_edges = active_edges(driver, db)
            job_id = dispatch.submit_retrain(settings, {**QUICK, "force_activate": True})
            wait_for(driver, db, job_id, until="write")
        own.kill()
        killed = time.monotonic()
        restart(own)
        with own.driver() as driver:
            job = wait_for(driver, db, job_id, timeout=300)
            ended = time.monotonic() - killed
            print(f"[drills] write-back: the job {job.state} {ended:.1f} s after the kill")
            assert job.state == "succeeded", job.error
            active = versions.active(driver, db)
            assert active is not None and active.id == job.model_version
            written = versions.count_edges(driver, db, active.id)
            assert written == active.edges == len(active_edges(driver, db))
            assert_no_duplicate_or_orphan_edges(driver)
            assert versions.count_edges(driver, db, str(first.model_version)) == len(v1_edges)  # still whole


def test_neo4j_killed_mid_refresh_the_job_resumes_and_the_lists_are_whole(
    drilled: tuple[Server, Settings], tmp_path: Path
) -> None:
    # Edited products refreshed under the active version (each product's list replaced in its own
    # transaction), Neo4j SIGKILLed once some lists are replaced: the task's transient-error retry
    # refreshes every product again once Neo4j is back, and the graph equals a clean refresh.
    own, settings = drilled
    db = settings.neo4j_database
    with first_version(own, settings, tmp_path, n_products=300) as (snapshot, first):
        product_ids = [p.id for p in snapshot.products]
        with own.driver() as driver:
            job_id = dispatch.submit_product_refresh(settings, product_ids)
            part = wait_for(driver, db, job_id, until="refresh")
            assert part.done < len(product_ids), "the kill should land mid-refresh"
        own.kill()
        killed = time.monotonic()
        restart(own)
        with own.driver() as driver:
            job = wait_for(driver, db, job_id, timeout=300)
            print(f"[drills] refresh: the job {job.state} {time.monotonic() - killed:.1f} s after the kill")
            assert job.state == "succeeded", job.error
            assert job.model_version == first.model_version
            after_crash = active_edges(driver, db)
            assert len(after_crash) == job.result["associated"]
            assert_no_duplicate_or_orphan_edges(driver)
            clean = wait_for(driver, db, dispatch.submit_product_refresh(settings, product_ids))
            assert clean.state == "succeeded", clean.error
            assert active_edges(driver, db) == after_crash
