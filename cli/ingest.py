"""`affinity ingest PATH...`, `affinity ingest convert-online-retail`, `affinity associations observe`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import neo4j
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

import cypher
from affinity.db import session_driver
from cli.common import JSON_OPTION, command, console, err_console, load_settings, print_json, record_progress
from ingest.associations import observe as observe_associations
from ingest.online_retail import load_online_retail, write_input_files
from ingest.pipeline import ingest_paths
from ingest.writer import KINDS, Outcome

GRAPH_COUNTS = cypher.query("ingest.graph_counts")
DEFAULT_COMMAND = "files"


class _PathsByDefault(TyperGroup):
    """`affinity ingest PATH...` runs the `files` command: a first argument that is not a
    subcommand is taken as a path, so the group's other commands stay reachable."""

    # ctx is click's Context, which Typer vendors privately: typed loosely rather than imported.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


ingest_app = typer.Typer(
    cls=_PathsByDefault,
    help="Load catalogues, customers, orders and reviews (docs/ingest.md). `affinity ingest PATH...`",
    no_args_is_help=True,
)
associations_app = typer.Typer(help="Observed associations (BOUGHT_WITH) from orders.", no_args_is_help=True)


def _graph_counts(driver: neo4j.Driver, database: str) -> dict[str, int]:
    records, _, _ = driver.execute_query(GRAPH_COUNTS, database_=database, routing_=neo4j.RoutingControl.READ)
    return {"nodes": int(records[0]["nodes"]), "relationships": int(records[0]["relationships"])}


def _counts_line(counts: dict[str, int]) -> str:
    return f"graph: {counts['nodes']} nodes, {counts['relationships']} relationships"


@contextmanager
def _progress(as_json: bool = False) -> Iterator[Any]:
    """Progress bars; with ``--json`` on stderr, so stdout holds the JSON document alone."""
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console if as_json else console, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def advance(step: str, done: int, total: int) -> None:
            record_progress(step, done, total)
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        yield advance


def _summary(outcomes: dict[str, Outcome]) -> Table:
    table = Table("", "created", "updated", "unchanged", "rejected", title="Ingest summary")
    for kind in KINDS:
        o = outcomes[kind]
        table.add_row(kind, str(o.created), str(o.updated), str(o.unchanged), str(o.rejected))
    return table


@ingest_app.command(DEFAULT_COMMAND)
@command
def files(
    paths: Annotated[
        list[Path],
        typer.Argument(help="files or directories (products*, customers*, order_lines*, reviews*)"),
    ],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="ingest the valid records and report every skipped one")
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, envvar="AFFINITY_INGEST_BATCH_SIZE", help="rows per transaction (orders: lines)"),
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """(default) Validate every file, then write them in batched, idempotent transactions."""
    settings = load_settings()
    started = time.perf_counter()
    with (
        session_driver(settings, wait_s=settings.neo4j_startup_wait_s) as driver,
        _progress(as_json) as advance,
    ):
        result = ingest_paths(
            driver,
            settings.neo4j_database,
            paths,
            batch_size=batch_size or settings.ingest_batch_size,
            skip_invalid=skip_invalid,
            progress=advance,
        )
        counts = _graph_counts(driver, settings.neo4j_database)
    if as_json:
        print_json(
            {
                "outcomes": result.outcomes,
                "skipped": [str(problem) for problem in result.skipped],
                "files": [str(path) for path in result.files],
                "order_lines": result.order_lines,
                "seconds": round(time.perf_counter() - started, 3),
                "graph": counts,
            }
        )
        return
    for problem in result.skipped:
        console.print(f"[yellow]skipped[/yellow] {problem}", soft_wrap=True)
    console.print(_summary(result.outcomes))
    changed = sum(outcome.changed for outcome in result.outcomes.values())
    console.print(
        f"{len(result.files)} file(s), {result.order_lines} order lines, "
        f"{time.perf_counter() - started:.1f} s; "
        + ("nothing changed" if changed == 0 else f"{changed} node(s) created or updated")
    )
    console.print(_counts_line(counts))


@ingest_app.command("convert-online-retail")
@command
def convert_online_retail(
    source: Annotated[Path | None, typer.Option(help="raw CSV(.gz); default: settings.dataset_path")] = None,
    out: Annotated[
        Path | None, typer.Option(help="output directory; default: <data_dir>/datasets/online-retail")
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Convert the raw Online Retail CSV into the documented input files (then `affinity ingest DIR`)."""
    settings = load_settings()
    source = source or settings.dataset_path
    out = out or settings.data_dir / "datasets" / "online-retail"
    started = time.perf_counter()
    data = load_online_retail(source)
    written = write_input_files(data, out)
    report = data.report
    orders = len({row[0] for row in data.order_line_rows})
    if as_json:
        print_json(
            {
                "source": str(source),
                "rows": report.rows,
                "kept_rows": report.kept_rows,
                "dropped": dict(report.dropped),
                "products": len(data.products),
                "customers": len(data.customers),
                "orders": orders,
                "order_lines": len(data.order_line_rows),
                "written": [str(path) for path in written],
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
        return
    console.print(f"read {report.rows} rows from {source}; kept {report.kept_rows}")
    for reason, count in report.dropped.most_common():
        console.print(f"  dropped {count:>6}  {reason}")
    console.print(
        f"{len(data.products)} products, {len(data.customers)} customers, {orders} orders, "
        f"{len(data.order_line_rows)} order lines in {time.perf_counter() - started:.1f} s"
    )
    for path in written:
        console.print(f"  wrote {path}")
    console.print(f"next: affinity ingest {out}")


@associations_app.command()
@command
def observe(
    min_support: Annotated[
        int | None,
        typer.Option(min=1, envvar="AFFINITY_MIN_SUPPORT_BASKETS", help="minimum shared baskets for an edge"),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, envvar="AFFINITY_INGEST_BATCH_SIZE", help="edges per transaction")
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Materialise BOUGHT_WITH (both directions) from orders; writes only edges that changed."""
    settings = load_settings()
    with (
        session_driver(settings, wait_s=settings.neo4j_startup_wait_s) as driver,
        _progress(as_json) as advance,
    ):
        report = observe_associations(
            driver,
            settings.neo4j_database,
            min_support=min_support or settings.min_support_baskets,
            batch_size=batch_size or settings.ingest_batch_size,
            progress=advance,
        )
        counts = _graph_counts(driver, settings.neo4j_database)
    if as_json:
        print_json({"report": report, "graph": counts})
        return
    console.print(
        f"{report.baskets} baskets, {report.pairs} product pairs, {report.edges} BOUGHT_WITH edges "
        f"(min support {report.min_support} baskets)"
    )
    console.print(
        f"products with edges created {report.created}, rewritten {report.updated}, "
        f"removed {report.deleted}, "
        f"unchanged {report.unchanged} in {report.seconds:.1f} s"
        + ("; nothing changed" if report.created + report.updated + report.deleted == 0 else "")
    )
    console.print(_counts_line(counts))
