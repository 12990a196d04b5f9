"""Backup and restore of the local Neo4j (`affinity db backup` / `restore`: neo4j-admin dump and
load): a dump of one server, loaded into a second one, serves the same graph."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from affinity import neo4j_server
from affinity.db import session_driver
from affinity.errors import ConfigurationError
from affinity.settings import Settings
from tests.servers import isolated, seeded_neo4j
from tests.statements import TEST_CYPHER

pytestmark = pytest.mark.integration

COUNTS = TEST_CYPHER.query("graph_fingerprint")


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "db", *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=300, check=False,
    )  # fmt: skip


def fingerprint(settings: Settings) -> list[tuple[str, int]]:
    with session_driver(settings, wait_s=30) as driver:
        records = driver.execute_query(COUNTS, database_=settings.neo4j_database).records
    return [(r["what"], r["count"]) for r in records]


def test_a_dump_loaded_into_another_server_serves_the_same_graph(settings: Settings, tmp_path: Path) -> None:
    target, target_env = isolated(settings, "backup-target", redis=False)
    with seeded_neo4j(settings, "backup-source") as (source, source_env):
        before = fingerprint(source)
        with pytest.raises(ConfigurationError, match="affinity db stop"):  # Community dumps offline only
            neo4j_server.dump(source, tmp_path)

    backup = cli(source_env, "backup", str(tmp_path / "dumps"))
    assert backup.returncode == 0, backup.stderr
    assert "dumped neo4j to" in backup.stdout and (tmp_path / "dumps" / "neo4j.dump").stat().st_size > 0
    missing = cli(target_env, "restore", str(tmp_path / "nothing-here"))
    assert missing.returncode != 0 and "no dump at" in missing.stderr
    restore = cli(target_env, "restore", str(tmp_path / "dumps"))
    assert restore.returncode == 0, restore.stderr
    neo4j_server.start(target)
    try:
        assert fingerprint(target) == before and dict(before)["products"] > 0
    finally:
        neo4j_server.stop(target)
