"""The worker SIGKILLed in each of the pipeline's later steps (the earlier ones, and the drill itself,
are in test_faults.py; a module of its own so the test command's two processes share the drills)."""

from __future__ import annotations

import pytest

from tests.system.test_faults import LATE_STEPS, Pipeline, kill_worker_in_step, pipeline  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("step", LATE_STEPS)
def test_worker_killed_in_step(step: str, pipeline: Pipeline) -> None:  # noqa: F811
    kill_worker_in_step(step, pipeline)
