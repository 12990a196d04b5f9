"""`affinity worker`: start a Celery worker on the given queues."""

from __future__ import annotations

import os

import typer

from affinity.prometheus import use_multiprocess_dir
from cli.common import command, load_settings

app = typer.Typer(help="Celery workers.")


@app.callback(invoke_without_command=True)
@command
def worker(
    queues: str = typer.Option("gpu,io", help="comma-separated queues to consume"),
    concurrency: int = typer.Option(1, help="worker processes (1 per GPU for the gpu queue)"),
    loglevel: str = typer.Option("info", help="Celery log level"),
) -> None:
    """Start a worker consuming QUEUES (gpu: embedding and training; io: Neo4j reads and writes)."""
    settings = load_settings()  # fail on bad settings with one line, before Celery starts
    if settings.worker_nice > 0:
        # Lower priority for the worker and the pool processes it forks (they inherit it), so a
        # retrain yields the CPU to the API and Neo4j on a shared machine.
        os.nice(settings.worker_nice)
    if settings.worker_metrics_port:
        # The pool processes run the tasks: one scrape of the main process sums them all.
        use_multiprocess_dir(settings.metrics_dir / f"worker-{settings.worker_metrics_port}")
    from workers.app import app as celery_app

    celery_app.worker_main(
        ["worker", "-Q", queues, "--concurrency", str(concurrency), "-l", loglevel, "--without-gossip"]
    )
