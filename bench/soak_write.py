"""The retrain's write step alone, for ``bench/soak.py --write-only``: the active version's artefacts
written again under a scratch version by the pipeline's own step function (batching and pacing as in
a retrain; the scoring is the evaluate step's, done before the replay starts), then removed.

Runs in its own process, as the worker's step does, with the soak's ``AFFINITY_*`` variables. Prints
``ready <seconds>`` once it is where a worker stands when its write step starts (modules imported,
connected, the artefacts in place: a fresh process spends seconds of CPU on this that a warm worker
does not), ``written <seconds>`` when the write step returns and ``removed <seconds>`` after the
clean-up.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import training.artifact  # noqa: E402
from affinity.db import connect  # noqa: E402
from affinity.settings import get_settings  # noqa: E402
from stores import versions  # noqa: E402
from workers.runner import StepContext, artefact_dir  # noqa: E402
from workers.steps import ASSOCIATIONS_FILE, save_associations, write  # noqa: E402

REPLAY_JOB = "soak-write-replay"


def main() -> None:
    started = time.perf_counter()
    settings = get_settings()
    driver = connect(settings, wait_s=30)
    try:
        active = versions.active(driver, settings.neo4j_database)
        if active is None:
            raise SystemExit("no active version to replay the write step of")
        context = StepContext(settings, driver, REPLAY_JOB, "write")
        replay = artefact_dir(settings, context.version)
        shutil.rmtree(replay, ignore_errors=True)
        shutil.copytree(artefact_dir(settings, active.id), replay)
        if not (replay / ASSOCIATIONS_FILE).exists():  # a version trained before the scoring moved
            save_associations(context, training.artifact.TrainedModel.load(replay))
        print(f"ready {time.perf_counter() - started:.1f}", flush=True)
        started = time.perf_counter()
        result = write(context)
        print(f"written {time.perf_counter() - started:.1f} {result}", flush=True)
        started = time.perf_counter()
        versions.clear_edges(driver, settings.neo4j_database, context.version)
        shutil.rmtree(replay, ignore_errors=True)
        print(f"removed {time.perf_counter() - started:.1f}", flush=True)
    finally:
        driver.close()


if __name__ == "__main__":
    main()
