"""Task recounting the observed co-purchase edges (``BOUGHT_WITH``) from the orders in the graph,
queued after a customer's orders are erased so the counts they fed leave with them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from affinity.db import connect
from affinity.settings import get_settings
from ingest.associations import observe
from stores import jobs
from stores.dispatch import OBSERVE_TASK
from workers.app import app
from workers.runner import RETRY_OPTIONS, TRANSIENT_ERRORS


@app.task(name=OBSERVE_TASK, **RETRY_OPTIONS)
def observe_associations(job_id: str) -> dict[str, Any]:
    settings = get_settings()
    driver = connect(settings, wait_s=10)

    def progress(step: str, done: int, total: int) -> None:
        jobs.report_progress(driver, settings.neo4j_database, job_id, step, done, total)

    try:
        try:
            report = observe(
                driver,
                settings.neo4j_database,
                min_support=settings.min_support_baskets,
                batch_size=settings.ingest_batch_size,
                progress=progress,
            )
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            jobs.finish(
                driver, settings.neo4j_database, job_id, "failed", error=f"{type(error).__name__}: {error}"
            )
            raise
        result = asdict(report)
        jobs.finish(driver, settings.neo4j_database, job_id, "succeeded", result=result)
        return result
    finally:
        driver.close()
