"""The scheduler's check: is a retrain due? (stores/retrain_policy.py decides and submits.)"""

from __future__ import annotations

from affinity.settings import get_settings
from stores.retrain_policy import consider_retrain
from workers.app import CONSIDER_RETRAIN_TASK, app
from workers.metrics import RETRAIN_DECISIONS


@app.task(name=CONSIDER_RETRAIN_TASK)
def consider() -> dict[str, object]:
    decision = consider_retrain(get_settings())
    RETRAIN_DECISIONS.labels("started" if decision.start else "not_started").inc()
    return {"start": decision.start, "reason": decision.reason, "job_id": decision.job_id}
