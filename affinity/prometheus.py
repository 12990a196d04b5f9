"""Prometheus exposition shared by the API and the workers, correct with any number of processes.

uvicorn's workers and Celery's prefork pool are separate processes, each with its own in-memory
registry: a scrape would see whichever process answered. prometheus-client's multiprocess mode has
every process write its samples to files in one directory and sums them when scraped. The mode is
chosen when prometheus-client is first imported, so :func:`use_multiprocess_dir` runs before that,
in the parent process (its children inherit the environment); this module imports prometheus-client
only inside its functions for that reason.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import Collector

__all__ = ["MULTIPROC_ENV", "render", "scrape_registry", "use_multiprocess_dir"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir(path: Path) -> Path:
    """Make this process and those it starts write their metrics under ``path``, emptied first: the
    files of a previous run would otherwise be summed into this one's counters."""
    if "prometheus_client" in sys.modules and os.environ.get(MULTIPROC_ENV) != str(path):
        raise RuntimeError("multiprocess metrics must be set up before prometheus_client is imported")
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def scrape_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """What a scrape reads: every process's samples summed (multiprocess mode), else this process's
    own; plus ``extra`` collectors read at scrape time."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    elif extra:
        registry = CollectorRegistry()
        registry.register(_ThisProcess(REGISTRY))
    else:
        return REGISTRY
    for collector in extra:
        registry.register(collector)
    return registry


def render(extra: Iterable[Collector] = ()) -> bytes:
    from prometheus_client import generate_latest

    return generate_latest(scrape_registry(extra))


class _ThisProcess:
    """This process's default registry (single-process mode), re-read at every scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()
