"""The retrain pipeline's tasks: one thin task per step, registered under ``affinity.<queue>.<step>``."""

from __future__ import annotations

from typing import Any

from celery import Task

from workers.app import app
from workers.pipeline import STEPS, task_name
from workers.runner import TRANSIENT_ERRORS, mark_failed, run_step


def _register(step: str, queue_name: str, last: bool) -> Task:
    from workers.queues import Queue

    name = task_name(step, Queue(queue_name))

    @app.task(
        name=name,
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=2,
        retry_backoff_max=60,
        retry_jitter=True,
        max_retries=5,
    )
    def run(job_id: str) -> dict[str, Any]:
        from workers.steps import STEP_FUNCTIONS

        return run_step(step, job_id, STEP_FUNCTIONS[step], last=last)

    return run


TASKS = {
    step: _register(step, queue.value, last=i == len(STEPS) - 1) for i, (step, queue) in enumerate(STEPS)
}


@app.task(name="affinity.io.fail")
def fail(job_id: str) -> None:
    """The chain's error callback."""
    mark_failed(job_id)
