"""The records the API, the CLI and the workers share, and the submission of background work.

- :mod:`stores.versions`: model versions (candidate → active → retired), write-back, gated activation.
- :mod:`stores.jobs`: jobs and their progress, with the per-kind lock that admits one retrain at a time.
- :mod:`stores.dispatch`: submitting work to the Celery workers by task name.

Imports no torch and no Celery task module, so the API can use all of it.
"""
