"""The retrain pipeline's tasks: the entry a submission sends by name (:data:`stores.dispatch.RETRAIN_TASK`),
which enqueues the canvas, and one thin task per step, registered under ``affinity.<queue>.<step>``."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from affinity.db import connect
from affinity.settings import get_settings
from stores import jobs
from stores.dispatch import RETRAIN_TASK
from workers.app import app
from workers.pipeline import STEPS, retrain_canvas, task_name
from workers.runner import RETRY_OPTIONS, mark_failed, run_step

log = logging.getLogger(__name__)


@app.task(name=RETRAIN_TASK)
def retrain(job_id: str) -> None:
    """Enqueue the pipeline for a submitted retrain job (once: only while the job is still queued).

    A redelivered message finds the job started or settled and enqueues nothing; a failure to enqueue
    marks the job failed, as a failed submission does.
    """
    settings = get_settings()
    driver = connect(settings, wait_s=10)
    try:
        job = jobs.get(driver, settings.neo4j_database, job_id)
        if job is None or job.state != "queued":
            log.warning("retrain job %s is %s; not enqueueing its pipeline", job_id, job and job.state)
            return
        try:
            retrain_canvas(job_id, app).apply_async()
        except Exception as error:
            jobs.finish(driver, settings.neo4j_database, job_id, "failed", error=f"enqueue failed: {error}")
            raise
    finally:
        driver.close()


def _register(step: str, queue_name: str, last: bool) -> Task:
    from workers.queues import Queue

    name = task_name(step, Queue(queue_name))

    @app.task(name=name, **RETRY_OPTIONS)
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
