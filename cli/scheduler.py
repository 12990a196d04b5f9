"""`affinity scheduler`: Celery beat, asking a worker every interval whether a retrain is due."""

from __future__ import annotations

import typer

from cli.common import command, console, load_settings

app = typer.Typer(help="Scheduled retrains.")


@app.callback(invoke_without_command=True)
@command
def scheduler(loglevel: str = typer.Option("info", help="Celery log level")) -> None:
    """Check the retrain policy every AFFINITY_SCHEDULER_CHECK_INTERVAL_S (a worker on the io queue
    decides and submits). Run one; a second is harmless (one retrain at a time), only wasteful."""
    settings = load_settings()
    if settings.retrain_every_s <= 0 and settings.retrain_after_new_orders <= 0:
        console.print(
            "[yellow]no retrain policy set[/]: set AFFINITY_RETRAIN_EVERY_S and/or "
            "AFFINITY_RETRAIN_AFTER_NEW_ORDERS; each check will start nothing"
        )
    state = settings.data_dir / "scheduler"
    state.mkdir(parents=True, exist_ok=True)
    from workers.app import app as celery_app

    celery_app.start(
        ["beat", "--schedule", str(state / "beat-schedule"), "--pidfile", "", "--loglevel", loglevel]
    )
