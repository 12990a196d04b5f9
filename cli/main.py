"""Root of the `affinity` CLI. Each command group lives in its own module and is mounted here."""

from __future__ import annotations

from importlib.metadata import version

import typer

from cli import (
    broker,
    catalogue,
    db,
    ingest,
    model_versions,
    offline_eval,
    retrain,
    scheduler,
    serve,
    worker,
)

app = typer.Typer(
    name="affinity",
    help="Affinity: product associations learned on a Neo4j graph.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"affinity {version('affinity')}")
        raise typer.Exit()


@app.callback()
def main(
    _version: bool = typer.Option(
        False, "--version", callback=show_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Affinity: product associations learned on a Neo4j graph."""


app.add_typer(db.app, name="db")
app.add_typer(broker.app, name="broker")
app.add_typer(worker.app, name="worker")
app.add_typer(scheduler.app, name="scheduler")
app.add_typer(serve.app, name="serve")
app.add_typer(retrain.app, name="retrain")
app.add_typer(retrain.job_app, name="job")
app.add_typer(model_versions.app, name="model")
app.add_typer(ingest.ingest_app, name="ingest")
app.add_typer(ingest.associations_app, name="associations")
app.add_typer(catalogue.products_app, name="products")
app.add_typer(catalogue.customers_app, name="customers")
app.add_typer(offline_eval.app, name="eval")


if __name__ == "__main__":  # pragma: no cover
    app()
