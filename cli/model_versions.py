"""`affinity model list|activate|rollback|prune`: the learned model versions in the graph."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from affinity.db import session_driver
from cli.common import JSON_OPTION, command, console, load_settings, print_json
from stores import versions

app = typer.Typer(help="Learned model versions: list, activate, roll back, prune.", no_args_is_help=True)


def _metric(metrics: dict[str, Any], subset: str, name: str) -> str:
    value = metrics.get(subset)
    if isinstance(value, dict) and isinstance(value.get(name), int | float):
        return f"{value[name]:.4f}"
    return "-"


def _gate(metrics: dict[str, Any]) -> tuple[str, str, str]:
    """The held-out window, the active version's NDCG@10 on it, and the candidate's lead over it."""
    gate = metrics.get("gate")
    if not isinstance(gate, dict) or "candidate" not in gate:
        return "-", "-", "-"
    window = gate.get("window") or {}
    span = f"{str(window.get('start'))[:10]}..{str(window.get('end'))[:10]}"
    comparison = gate.get("comparison")
    if not isinstance(comparison, dict):
        return span, "-", "-"
    then = f"{gate.get('active_version')} {_metric(comparison['active'], 'overall', 'ndcg')}"
    lead = comparison["candidate"]["overall"]["ndcg"] - comparison["active"]["overall"]["ndcg"]
    start = str((comparison.get("window") or {}).get("start"))[:10]
    since = "" if start == span[:10] else f" from {start}"
    return span, then + since, f"{lead:+.4f}"


@app.command("list")
@command
def list_(as_json: bool = JSON_OPTION) -> None:
    """Every version, newest first: status, edges, and the gate's numbers.

    NDCG@10 is the version's score on its retrain's held-out gate window (out of sample for every
    fit); "active then" is the version that was active, scored with the candidate on the days of that
    window its weights never saw ("from" a later day when it saw the start); "lead" the difference
    the gate decided on. Versions trained without a held-out window show validation
    numbers (marked "val").
    """
    settings = load_settings()
    with session_driver(settings) as driver:
        rows = versions.list_versions(driver, settings.neo4j_database)
    if as_json:
        print_json(rows)
        return
    table = Table(
        "version",
        "status",
        "created",
        "edges",
        "NDCG@10",
        "warm",
        "cold",
        "gate window",
        "active then",
        "lead",
    )
    for v in rows:
        held_out = v.metrics.get("source") == "held-out gate window"
        table.add_row(
            v.id, v.status, v.created_at[:19], str(v.edges),
            _metric(v.metrics, "overall", "ndcg") + ("" if held_out else " val"),
            _metric(v.metrics, "warm", "ndcg"), _metric(v.metrics, "cold", "ndcg"),
            *_gate(v.metrics),
        )  # fmt: skip
    console.print(table if rows else "no model versions yet: run `affinity retrain`")


@app.command()
@command
def activate(
    version: str = typer.Argument(..., help="the version id to activate"),
    force: bool = typer.Option(False, "--force", help="activate even if it scores worse than the active one"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make VERSION the one the API serves (in one transaction)."""
    settings = load_settings()
    with session_driver(settings) as driver:
        previous = versions.activate(driver, settings.neo4j_database, version, force=force)
    if as_json:
        print_json({"active": version, "previous": previous})
    else:
        console.print(f"active: {version}" + (f" (was {previous})" if previous else ""))


@app.command()
@command
def rollback(as_json: bool = JSON_OPTION) -> None:
    """Re-activate the version that was active before the current one."""
    settings = load_settings()
    with session_driver(settings) as driver:
        restored = versions.rollback(driver, settings.neo4j_database)
    if as_json:
        print_json({"active": restored})
    else:
        console.print(f"rolled back: {restored} is active again")


@app.command()
@command
def prune(
    keep: int = typer.Option(
        None, min=0, help="inactive versions to keep (default: the keep_versions setting)"
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete the edges of old inactive versions, in batches."""
    settings = load_settings()
    with session_driver(settings) as driver:
        pruned = versions.prune(
            driver,
            settings.neo4j_database,
            settings.keep_versions if keep is None else keep,
            versions.Pacing.of(settings),
        )
    if as_json:
        print_json({"pruned": list(pruned)})
    elif pruned:
        console.print(f"pruned {len(pruned)} version(s): {', '.join(pruned)}")
    else:
        console.print("nothing to prune")
