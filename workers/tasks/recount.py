"""Task recounting the observed co-purchase edges (``BOUGHT_WITH``) from the orders in the graph,
queued after a customer's orders are erased so the counts they fed leave with them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import neo4j

from affinity.settings import Settings
from ingest.associations import observe
from stores import jobs
from stores.dispatch import RECOUNT_TASK
from workers.app import app
from workers.runner import RETRY_OPTIONS, run_one_task_job


@app.task(name=RECOUNT_TASK, **RETRY_OPTIONS)
def recount_co_purchases(job_id: str) -> dict[str, Any]:
    def work(driver: neo4j.Driver, settings: Settings) -> dict[str, Any]:
        def progress(step: str, done: int, total: int) -> None:
            jobs.report_progress(driver, settings.neo4j_database, job_id, step, done, total)

        report = observe(
            driver,
            settings.neo4j_database,
            min_support=settings.min_support_baskets,
            batch_size=settings.ingest_batch_size,
            progress=progress,
        )
        return asdict(report)

    return run_one_task_job(job_id, work)
