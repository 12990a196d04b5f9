"""The foundation against a real Neo4j over Bolt and a real Celery worker on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import neo4j
import pytest

import cypher
from affinity.settings import Settings
from cli.common import ExitCode
from graph_schema import REQUIRED_CONSTRAINTS, VECTOR_INDEX, migrate
from graph_schema.status import read_status
from service.filters import DEFAULT_RULES
from tests.statements import TEST_CYPHER

pytestmark = pytest.mark.integration

AFFINITY = [sys.executable, "-m", "cli.main"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AFFINITY, *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=timeout
    )


def test_schema_is_present_after_migration(neo4j_driver: neo4j.Driver, settings: Settings) -> None:
    status = read_status(neo4j_driver, settings.neo4j_database)
    assert status.version.startswith("5.26.")
    assert set(REQUIRED_CONSTRAINTS) <= status.constraints
    assert status.indexes["product_embedding"] == "ONLINE"
    assert status.indexes["product_text"] == "ONLINE"
    assert status.ready, status.missing


def test_migrate_twice_changes_nothing(neo4j_driver: neo4j.Driver, settings: Settings) -> None:
    before = read_status(neo4j_driver, settings.neo4j_database)
    assert migrate(neo4j_driver, settings.neo4j_database) == []
    after = read_status(neo4j_driver, settings.neo4j_database)
    assert [m.checksum for m in after.applied] == [m.checksum for m in before.applied]
    assert after.constraints == before.constraints and after.indexes.keys() == before.indexes.keys()


def test_cli_migrate_and_status(neo4j_driver: neo4j.Driver) -> None:
    migrated = run_cli("db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "nothing to apply" in migrated.stdout
    status = run_cli("db", "status")
    assert status.returncode == 0, status.stderr
    assert "5.26." in status.stdout and "V0001" in status.stdout and "schema ready" in status.stdout


def test_vector_index_returns_products_in_cosine_order(empty_graph: neo4j.Driver, settings: Settings) -> None:
    db = settings.neo4j_database
    base = [1.0] + [0.0] * 383
    near = [0.9, 0.1] + [0.0] * 382
    far = [0.0, 1.0] + [0.0] * 382
    rows = [{"id": "far", "title": "far"}, {"id": "base", "title": "base"}, {"id": "near", "title": "near"}]
    empty_graph.execute_query(TEST_CYPHER.query("create_products"), rows=rows, database_=db)
    vectors = [
        {"id": "far", "embedding": far, "text_hash": "f"},
        {"id": "base", "embedding": base, "text_hash": "b"},
        {"id": "near", "embedding": near, "text_hash": "n"},
    ]
    empty_graph.execute_query(
        cypher.query("embedding.write_embeddings"), rows=vectors, model="test", database_=db
    )
    # The vector index fills asynchronously; the query may lag a write by a moment.
    deadline = time.monotonic() + 30
    ids: list[str] = []
    while time.monotonic() < deadline:
        (row,) = empty_graph.execute_query(
            cypher.query("products.similar_by_vector"),
            index=VECTOR_INDEX, first=3, k=3, vector=base, filter=DEFAULT_RULES.parameter(), database_=db,
        ).records  # fmt: skip
        records = row["hits"]
        ids = [r["id"] for r in records]
        if len(ids) == 3:
            break
        time.sleep(0.3)
    assert ids == ["base", "near", "far"]
    scores = [r["score"] for r in records]
    assert scores[0] == pytest.approx(1.0) and scores[0] > scores[1] > scores[2]


def _one_error_line(result: subprocess.CompletedProcess[str], status: int = ExitCode.FAILED) -> str:
    assert result.returncode == status, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_wrong_password_is_one_clear_line(neo4j_driver: neo4j.Driver) -> None:
    env = {**os.environ, "AFFINITY_NEO4J_PASSWORD": "not-the-password"}
    line = _one_error_line(run_cli("db", "status", env=env))
    assert "refused user 'neo4j'" in line and "password" in line


def test_unreachable_uri_is_one_clear_line(settings: Settings) -> None:
    env = {**os.environ, "AFFINITY_NEO4J_URI": "bolt://127.0.0.1:1"}
    line = _one_error_line(run_cli("db", "status", env=env), ExitCode.UNAVAILABLE)
    assert "not reachable at bolt://127.0.0.1:1" in line


def test_malformed_uri_is_one_clear_line() -> None:
    env = {**os.environ, "AFFINITY_NEO4J_URI": "http//nowhere"}
    line = _one_error_line(run_cli("db", "status", env=env))
    assert "http//nowhere" in line


def test_missing_java_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path), "AFFINITY_DATA_DIR": str(tmp_path / "var")}
    line = _one_error_line(run_cli("db", "start", env=env))
    assert "java not found" in line and "Java 17" in line


def test_browser_is_served(neo4j_server_running: Settings) -> None:
    import urllib.request

    url = f"http://127.0.0.1:{neo4j_server_running.neo4j_http_port}/browser/"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert "<title>Neo4j Browser</title>" in response.read().decode()


def test_task_runs_through_a_real_worker(
    redis_running: Settings, empty_graph: neo4j.Driver, tmp_path: Path
) -> None:
    db = redis_running.neo4j_database
    empty_graph.execute_query(
        TEST_CYPHER.query("create_products"), rows=[{"id": "p1", "title": "one"}], database_=db
    )
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [*AFFINITY, "worker", "--queues", "io", "--loglevel", "warning"], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        from workers.tasks.health import health

        result = health.delay().get(timeout=90)
        assert result["nodes"].get("Product") == 1
    finally:
        worker.terminate()
        worker.wait(timeout=30)
