"""Structured logs: one JSON object per line on stderr, with the request id when there is one.

A record is formatted where it is logged and written by a thread of its own (``QueueHandler`` and
``QueueListener``): a write to a pipe or file that stalls (a full pipe, a disk busy with Neo4j's
transaction logs) would otherwise block the event loop and every request with it. The soak found
this: while a model version's edges were deleted, the API went three minutes without answering,
idle, waiting on its own log line.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import sys
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import Any

__all__ = ["JsonFormatter", "configure_logging"]

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_listener: QueueListener | None = None


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the API's and uvicorn's loggers (uvicorn's access log is replaced by
    the API's own request log, which carries the request id and the GraphQL operation)."""
    global _listener
    if _listener is not None:
        _listener.stop()
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = QueueHandler(records)
    handler.setFormatter(JsonFormatter())
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(logging.Formatter("%(message)s"))
    _listener = QueueListener(records, writer)
    _listener.start()
    for name in ("affinity", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True


@atexit.register
def _flush() -> None:
    if _listener is not None:
        _listener.stop()
