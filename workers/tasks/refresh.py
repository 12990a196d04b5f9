"""Task for the incremental path (new or edited products)."""

from __future__ import annotations

from typing import Any

from affinity.db import connect
from affinity.settings import get_settings
from stores import jobs
from stores.dispatch import REFRESH_TASK
from workers.app import app
from workers.runner import RETRY_OPTIONS, TRANSIENT_ERRORS


@app.task(name=REFRESH_TASK, **RETRY_OPTIONS)
def refresh_products(job_id: str, product_ids: list[str]) -> dict[str, Any]:
    from workers.refresh import refresh_products as refresh

    settings = get_settings()
    driver = connect(settings, wait_s=10)

    def progress(done: int, total: int) -> None:
        jobs.report_progress(driver, settings.neo4j_database, job_id, "refresh", done, total)

    try:
        try:
            progress(0, len(product_ids))
            result = refresh(driver, settings, product_ids, progress)
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            jobs.finish(
                driver, settings.neo4j_database, job_id, "failed", error=f"{type(error).__name__}: {error}"
            )
            raise
        jobs.finish(
            driver,
            settings.neo4j_database,
            job_id,
            "succeeded",
            model_version=result["version"],
            result=result,
        )
        return result
    finally:
        driver.close()
