"""`affinity retrain` and `affinity job`: enqueue the retrain pipeline and follow jobs."""

from __future__ import annotations

import time
from enum import StrEnum

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from affinity.db import session_driver
from affinity.errors import AffinityError
from affinity.settings import Settings
from cli.common import JSON_OPTION, command, console, load_settings, print_json
from stores import dispatch, jobs
from workers.pipeline import STEPS

app = typer.Typer(help="Retrain the model through the workers.")
job_app = typer.Typer(help="Background jobs: show, follow, cancel and list.", no_args_is_help=True)


class Encoder(StrEnum):
    """The GNN encoders a retrain can use (``training.models.ENCODERS``; a test keeps them equal),
    named here so that a wrong one fails before anything is queued, without importing torch."""

    sage = "sage"
    gat = "gat"
    gcn = "gcn"
    mlp = "mlp"


def follow(settings: Settings, job_id: str, timeout_s: float, quiet: bool = False) -> jobs.JobInfo:
    """Poll the job until it ends, drawing one progress bar per step (none when ``quiet``)."""
    order = [step for step, _ in STEPS]
    deadline = time.monotonic() + timeout_s
    bars = Progress(
        TextColumn("{task.description:<10}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, disable=quiet,
    )  # fmt: skip
    shown: dict[str, TaskID] = {}
    with session_driver(settings) as driver, bars:
        while True:
            job = jobs.get(driver, settings.neo4j_database, job_id)
            if job is None:
                raise AffinityError(f"unknown job {job_id!r}")
            if job.step in order:
                for step in order[: order.index(job.step)]:
                    if step in shown:  # earlier steps are done
                        bars.update(shown[step], completed=1, total=1)
                if job.step not in shown:
                    shown[job.step] = bars.add_task(job.step, total=1)
                bars.update(shown[job.step], completed=job.done, total=max(job.total, 1))
            if job.state in ("succeeded", "failed"):
                if job.state == "succeeded":
                    for task_id in shown.values():
                        bars.update(task_id, completed=1, total=1)
                return job
            if time.monotonic() > deadline:
                raise AffinityError(
                    f"job {job_id} still {job.state} in step {job.step} after {timeout_s:.0f}s"
                )
            time.sleep(0.5)


def print_job(job: jobs.JobInfo) -> None:
    console.print(f"job {job.id} ({job.kind}): {job.state}, step {job.step} {job.done}/{job.total}")
    if job.error:
        console.print(f"  error: {job.error}")
    if job.model_version:
        console.print(f"  model version: {job.model_version}")
    if job.timings:
        total = sum(job.timings.values())
        console.print(
            "  step seconds: "
            + ", ".join(f"{k} {v:.1f}" for k, v in job.timings.items())
            + f"; total {total:.1f}"
        )


@app.callback(invoke_without_command=True)
@command
def retrain(
    wait: bool = typer.Option(False, "--wait", help="block until the pipeline ends, showing progress"),
    force_activate: bool = typer.Option(False, help="activate the new version even if it scores worse"),
    encoder: Encoder = typer.Option(Encoder.sage, help="GNN encoder"),
    epochs: int = typer.Option(None, min=1, help="maximum training epochs (default: the model's own)"),
    timeout: float = typer.Option(3600, min=1, help="seconds --wait waits at most"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Enqueue the retrain pipeline (observe, export, embed, train with the customer model, evaluate,
    write, activate, prune). With --wait, exits 1 when the job fails."""
    settings = load_settings()
    options: dict[str, object] = {"force_activate": force_activate, "encoder": encoder.value}
    if epochs is not None:
        options["epochs"] = epochs
    job_id = dispatch.submit_retrain(settings, options)
    if not wait:
        if as_json:
            print_json({"job": job_id, "state": "queued"})
        else:
            console.print(f"retrain job {job_id} queued")
            console.print(f"follow it with `affinity job show --follow {job_id}`")
        return
    if not as_json:
        console.print(f"retrain job {job_id} queued")
    finish(follow(settings, job_id, timeout, quiet=as_json), as_json)


def show_job(job: jobs.JobInfo, as_json: bool) -> None:
    if as_json:
        print_json(job)
    else:
        print_job(job)


def finish(job: jobs.JobInfo, as_json: bool) -> None:
    """Print the ended job; exit 1 when it failed."""
    show_job(job, as_json)
    if job.state != "succeeded":
        raise typer.Exit(code=1)


@job_app.command("show")
@command
def show(
    job_id: str,
    follow_: bool = typer.Option(
        False, "--follow", help="re-attach to a running job: its progress until it ends (exit 1 if it fails)"
    ),
    timeout: float = typer.Option(3600, min=1, help="seconds --follow waits at most"),
    as_json: bool = JSON_OPTION,
) -> None:
    """One job's state, step, progress and timings."""
    settings = load_settings()
    with session_driver(settings) as driver:
        job = jobs.get(driver, settings.neo4j_database, job_id)
    if job is None:
        raise AffinityError(f"unknown job {job_id!r}")
    if follow_:
        finish(follow(settings, job_id, timeout, quiet=as_json), as_json)
    else:
        show_job(job, as_json)


@job_app.command("cancel")
@command
def cancel(
    job_id: str,
    wait: bool = typer.Option(False, "--wait", help="block until the job has stopped"),
    timeout: float = typer.Option(600, min=1, help="seconds --wait waits at most"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stop a queued or running job cleanly: its worker ends it (failed, "cancelled by request") at
    its next progress report or step; the active model version is untouched and the job's own
    candidate version is marked failed (the next retrain prunes it)."""
    settings = load_settings()
    with session_driver(settings) as driver:
        state = jobs.request_cancel(driver, settings.neo4j_database, job_id)
    if not wait:
        if as_json:
            print_json({"job": job_id, "state": state, "cancel_requested": True})
        else:
            console.print(
                f"cancellation of job {job_id} ({state}) requested; it stops at its next progress report"
            )
        return
    show_job(follow(settings, job_id, timeout, quiet=as_json), as_json)  # failed, as asked: exit 0


@job_app.command("list")
@command
def list_(
    state: jobs.JobState = typer.Option(None, help="only jobs in this state"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Recent jobs, newest first."""
    settings = load_settings()
    with session_driver(settings) as driver:
        rows = jobs.list_jobs(driver, settings.neo4j_database, state and state.value)
    if as_json:
        print_json(rows)
        return
    table = Table("job", "kind", "state", "step", "progress", "created", "error")
    for job in rows:
        table.add_row(
            job.id,
            job.kind,
            job.state,
            job.step,
            f"{job.done}/{job.total}",
            job.created_at[:19],
            job.error or "",
        )
    console.print(table)
