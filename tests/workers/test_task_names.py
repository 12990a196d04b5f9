"""Every Celery task name is registered once: a name used twice would silently replace a pipeline
step with another task (found when the co-purchase recount first took the observe step's name)."""

from __future__ import annotations

from collections import Counter

from stores import dispatch
from workers.pipeline import STEPS, task_name


def test_no_task_takes_a_pipeline_steps_name() -> None:
    steps = [task_name(step, queue) for step, queue in STEPS]
    sent_by_name = [dispatch.RETRAIN_TASK, dispatch.REFRESH_TASK, dispatch.RECOUNT_TASK]
    counts = Counter(steps + sent_by_name)
    assert [name for name, n in counts.items() if n > 1] == []
