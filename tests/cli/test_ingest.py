"""The `affinity ingest` command group's shape, and the conversion command (no database needed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from tests.factories import online_retail_raw_file

runner = CliRunner()


def test_paths_run_the_default_command_and_subcommands_stay_reachable() -> None:
    group = runner.invoke(app, ["ingest", "--help"])
    assert group.exit_code == 0
    assert "convert-online-retail" in group.output and "files" in group.output
    # A path as first argument is routed to `files`: its own help proves the routing.
    routed = runner.invoke(app, ["ingest", "some/dir", "--help"])
    assert routed.exit_code == 0
    assert "--skip-invalid" in routed.output


def test_convert_online_retail(tmp_path: Path) -> None:
    source = online_retail_raw_file(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["ingest", "convert-online-retail", "--source", str(source), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2 products, 1 customers, 3 orders, 4 order lines" in result.output
    assert sorted(path.name for path in out.iterdir()) == [
        "customers.jsonl",
        "order_lines.csv.gz",
        "products.jsonl",
    ]
