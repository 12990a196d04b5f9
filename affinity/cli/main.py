"""Root of the `affinity` CLI. Each command group lives in its own module and is mounted here."""

from __future__ import annotations

import typer

from affinity.cli import broker, db, worker

app = typer.Typer(
    name="affinity",
    help="Affinity: product associations learned on a Neo4j graph.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(broker.app, name="broker")
app.add_typer(worker.app, name="worker")


if __name__ == "__main__":  # pragma: no cover
    app()
