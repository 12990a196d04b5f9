"""The retrain pipeline as one Celery canvas: a chain of immutable signatures passing the job id.

    observe → export → embed → train → evaluate → write → activate → prune

(The export comes before the embedding: one pass over the graph yields both the catalogue to train
on and the texts to re-embed; only products whose text hash changed are embedded.)

Each step loads what it needs from Neo4j or from the job's artefact folder (``model_dir/<job id>``)
and stores its output there, so a step can be retried alone. Built by task name, in the worker that takes
a submitted retrain (``affinity.io.retrain``, sent by :mod:`stores.dispatch`).
"""

from __future__ import annotations

from celery import Celery, chain, signature
from celery.canvas import Signature

from workers.queues import Queue

#: (step, queue) in pipeline order. Embedding and training need the accelerator; the rest is I/O.
STEPS: tuple[tuple[str, Queue], ...] = (
    ("observe", Queue.IO),
    ("export", Queue.IO),
    ("embed", Queue.GPU),
    ("train", Queue.GPU),
    ("evaluate", Queue.GPU),
    ("write", Queue.IO),
    ("activate", Queue.IO),
    ("prune", Queue.IO),
)


def task_name(step: str, queue: Queue) -> str:
    return f"affinity.{queue.value}.{step}"


def retrain_canvas(job_id: str, app: Celery | None = None) -> Signature:
    """The pipeline for ``job_id``, bound to ``app`` (default: Celery's current app). Bind it to the app
    whose broker was checked: the current app is whichever was created last in the process."""
    steps = [
        signature(task_name(step, queue), args=(job_id,), immutable=True, app=app) for step, queue in STEPS
    ]
    on_error = signature("affinity.io.fail", args=(job_id,), immutable=True, app=app)
    return chain(*steps, app=app).on_error(on_error)
