"""The queues, named in one place. GPU work (embedding, training) and I/O work (Neo4j reads and
writes) run on separate worker pools so a long training run never blocks a write-back."""

from __future__ import annotations

from enum import StrEnum


class Queue(StrEnum):
    GPU = "gpu"
    IO = "io"
