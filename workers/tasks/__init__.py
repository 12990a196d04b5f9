"""Celery tasks: thin wrappers that take ids, call a plain function and report progress."""
