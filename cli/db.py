"""`affinity db start|stop|status|migrate|backup|restore`: the local Neo4j server and the graph schema."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from affinity import neo4j_server
from affinity.db import session_driver
from affinity.settings import Settings
from cli.common import JSON_OPTION, command, console, load_settings, print_json
from graph_schema import migrate as apply_migrations
from graph_schema.status import read_status
from stores import versions

app = typer.Typer(help="The Neo4j server and the graph schema.", no_args_is_help=True)


@app.command()
@command
def start() -> None:
    """Assemble Neo4j 5.26 Community from Maven Central (once), start it and wait for Bolt."""
    settings = load_settings()
    paths = neo4j_server.paths_for(settings)
    if not paths.ready_marker.exists():
        console.print("Fetching Neo4j jars from Maven Central (first start only)...")
    pid = neo4j_server.running(settings)
    started = pid is None
    if pid is None:
        pid = neo4j_server.start(settings)
    console.print(f"Neo4j running (pid {pid}): bolt://127.0.0.1:{settings.neo4j_bolt_port}")
    console.print(f"Neo4j Browser: http://127.0.0.1:{settings.neo4j_http_port}/browser/")
    if started:
        _warm_up_writes(settings)


@app.command("warm-up")
@command
def warm_up() -> None:
    """Run the retrain's write-back on scratch edges, then remove them, so the JVM compiles that code
    now rather than during the first retrain's write while the API serves (`db start` does this)."""
    settings = load_settings()
    _warm_up_writes(settings)


def _warm_up_writes(settings: Settings) -> None:
    started = time.perf_counter()
    with session_driver(settings, wait_s=settings.neo4j_startup_wait_s) as driver:
        written = versions.warm_up_writes(driver, settings.neo4j_database)
    took = time.perf_counter() - started
    if written:
        console.print(f"write path warmed up: {written:,} scratch edges written and removed ({took:.1f} s)")
    else:
        console.print("write path not warmed up: the graph has no products yet")


@app.command()
@command
def stop() -> None:
    """Stop the Neo4j server that `affinity db start` started."""
    settings = load_settings()
    if neo4j_server.stop(settings):
        console.print("Neo4j stopped.")
    else:
        console.print("Neo4j was not running (no live PID in the pid file).")


@app.command()
@command
def backup(
    to_dir: Annotated[Path, typer.Argument(help="folder for <database>.dump (replaced if there)")],
) -> None:
    """Dump the stopped local database (neo4j-admin database dump); `affinity db restore` loads it."""
    settings = load_settings()
    started = time.perf_counter()
    dump_file = neo4j_server.dump(settings, to_dir)
    size_mb = dump_file.stat().st_size / 1e6
    took = time.perf_counter() - started
    console.print(f"dumped {settings.neo4j_database} to {dump_file} ({size_mb:.1f} MB, {took:.1f} s)")


@app.command()
@command
def restore(
    from_dir: Annotated[
        Path, typer.Argument(help="folder holding <database>.dump from `affinity db backup`")
    ],
) -> None:
    """Replace the stopped local database with a dump (neo4j-admin database load); then start it."""
    settings = load_settings()
    started = time.perf_counter()
    dump_file = neo4j_server.load(settings, from_dir)
    console.print(
        f"loaded {dump_file} into {settings.neo4j_database} ({time.perf_counter() - started:.1f} s)"
    )


@app.command()
@command
def migrate() -> None:
    """Apply pending schema migrations (constraints, vector and fulltext indexes); safe to repeat."""
    settings = load_settings()
    with session_driver(settings, wait_s=settings.neo4j_startup_wait_s) as driver:
        done = apply_migrations(driver, settings.neo4j_database)
    if done:
        for migration in done:
            console.print(f"applied V{migration.version:04d}__{migration.name}")
    else:
        console.print("schema up to date: nothing to apply")


@app.command()
@command
def status(as_json: bool = JSON_OPTION) -> None:
    """Server version, applied migrations and schema objects (exit 2 when the schema is not ready)."""
    settings = load_settings()
    with session_driver(settings) as driver:
        report = read_status(driver, settings.neo4j_database)
    if as_json:
        fields = dataclasses.asdict(report) | {"constraints": sorted(report.constraints)}
        print_json({"uri": settings.neo4j_uri, **fields, "missing": report.missing, "ready": report.ready})
        if not report.ready:
            raise typer.Exit(code=2)
        return
    console.print(f"{report.server} {report.version} {report.edition} at {settings.neo4j_uri}")
    table = Table("version", "migration", "checksum", "applied at", title="Applied migrations")
    for migration in report.applied:
        table.add_row(f"V{migration.version:04d}", migration.name, migration.checksum, migration.applied_at)
    console.print(table)
    if report.pending_versions:
        console.print(f"pending migrations: {report.pending_versions} (run `affinity db migrate`)")
    if report.missing:
        console.print(f"missing schema objects: {', '.join(report.missing)}")
    if report.ready:
        console.print(f"schema ready: {len(report.constraints)} constraints, {len(report.indexes)} indexes")
    else:
        raise typer.Exit(code=2)
