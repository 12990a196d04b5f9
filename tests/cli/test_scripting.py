"""The CLI for scripts: ``--version``, choices checked before any work, ``--json`` that parses, and
``job show --follow`` (README, "Exit codes")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import neo4j
import pytest
from typer.testing import CliRunner

from affinity.settings import Settings
from cli.common import ExitCode
from cli.main import app
from cli.retrain import Encoder
from stores import jobs, versions
from tests.factories import write_snapshot_input_files
from tests.statements import TEST_CYPHER
from training.synthetic import make_synthetic_snapshot

runner = CliRunner()


def test_version_is_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"affinity {version('affinity')}"


@pytest.mark.parametrize(
    "args",
    [
        ["retrain", "--encoder", "transformer"],
        ["job", "list", "--state", "done"],
        ["retrain", "--epochs", "0"],
    ],
)
def test_a_wrong_choice_is_a_usage_error_before_any_service_is_asked(args: list[str]) -> None:
    # Neo4j and Redis point at closed ports: reaching either would exit 3 (unavailable), not 2.
    env = {
        **os.environ,
        "AFFINITY_NEO4J_URI": "bolt://127.0.0.1:1",
        "AFFINITY_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "Invalid value" in done.stderr


def test_the_encoder_choices_are_the_models_encoders() -> None:
    from training.models import ENCODERS

    assert {encoder.value for encoder in Encoder} == set(ENCODERS)


@pytest.mark.integration
def test_json_output_parses_and_follow_reports_a_failed_job(
    empty_graph: neo4j.Driver, settings: Settings
) -> None:
    db = settings.neo4j_database
    job_id = jobs.create_job(empty_graph, settings, "retrain", {"epochs": 1}, exclusive=True)
    versions.create_candidate(empty_graph, db, "v-json", {}, "2011-01-01/2011-09-01", job_id=job_id)
    jobs.finish(empty_graph, db, job_id, "failed", error="train: boom")

    shown = runner.invoke(app, ["job", "show", job_id, "--json"])
    assert shown.exit_code == 0, shown.output
    job = json.loads(shown.output)
    assert (job["id"], job["state"], job["error"]) == (job_id, "failed", "train: boom")

    listed = runner.invoke(app, ["job", "list", "--state", "failed", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [j["id"] for j in json.loads(listed.output)] == [job_id]
    assert json.loads(runner.invoke(app, ["job", "list", "--state", "running", "--json"]).output) == []

    models = runner.invoke(app, ["model", "list", "--json"])
    assert models.exit_code == 0, models.output
    assert [(v["id"], v["status"]) for v in json.loads(models.output)] == [("v-json", "candidate")]

    # Re-attaching to a job that has ended answers at once, with the failed job's exit status.
    followed = runner.invoke(app, ["job", "show", "--follow", job_id, "--json"])
    assert followed.exit_code == ExitCode.FAILED
    assert json.loads(followed.output)["state"] == "failed"


@pytest.mark.integration
def test_json_of_ingest_observe_and_the_status_commands(
    empty_graph: neo4j.Driver, redis_running: Settings, tmp_path: Path
) -> None:
    snapshot = make_synthetic_snapshot(n_products=30, n_baskets=120, seed=3)
    write_snapshot_input_files(snapshot, tmp_path / "data")

    ingested = runner.invoke(app, ["ingest", str(tmp_path / "data"), "--json"])
    assert ingested.exit_code == 0, ingested.output
    report = json.loads(ingested.stdout)  # the progress bars went to stderr
    assert report["outcomes"]["products"]["created"] == 30 and report["graph"]["nodes"] > 30
    again = json.loads(runner.invoke(app, ["ingest", str(tmp_path / "data"), "--json"]).stdout)
    assert again["outcomes"]["products"] == {"created": 0, "updated": 0, "unchanged": 30, "rejected": 0}

    observed = runner.invoke(app, ["associations", "observe", "--min-support", "1", "--json"])
    assert observed.exit_code == 0, observed.output
    result = json.loads(observed.stdout)
    assert result["report"]["edges"] > 0 and result["graph"]["relationships"] >= result["report"]["edges"]

    status = runner.invoke(app, ["db", "status", "--json"])
    assert status.exit_code == 0 and json.loads(status.stdout)["ready"] is True
    fingerprint = TEST_CYPHER.query("graph_fingerprint")
    before = empty_graph.execute_query(fingerprint, database_=redis_running.neo4j_database).records
    warmed = runner.invoke(app, ["db", "warm-up"])
    assert warmed.exit_code == 0 and "scratch edges written and removed" in warmed.output, warmed.output
    assert empty_graph.execute_query(fingerprint, database_=redis_running.neo4j_database).records == before
    broker = runner.invoke(app, ["broker", "status", "--json"])
    assert broker.exit_code == 0 and json.loads(broker.stdout) == {
        "port": redis_running.redis_port,
        "up": True,
    }
