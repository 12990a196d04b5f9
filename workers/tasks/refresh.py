"""Task for the incremental path (new or edited products)."""

from __future__ import annotations

from typing import Any

import neo4j

from affinity.settings import Settings
from stores import jobs
from stores.dispatch import REFRESH_TASK
from workers.app import app
from workers.runner import RETRY_OPTIONS, run_one_task_job


@app.task(name=REFRESH_TASK, **RETRY_OPTIONS)
def refresh_products(job_id: str, product_ids: list[str]) -> dict[str, Any]:
    from workers.refresh import refresh_products as refresh

    def work(driver: neo4j.Driver, settings: Settings) -> dict[str, Any]:
        def progress(done: int, total: int) -> None:
            jobs.report_progress(driver, settings.neo4j_database, job_id, "refresh", done, total)

        progress(0, len(product_ids))
        return refresh(driver, settings, product_ids, progress)

    return run_one_task_job(job_id, work)
