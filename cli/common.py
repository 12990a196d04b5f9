"""Helpers shared by command groups: settings, console, turning failures into one line and an exit
status (:class:`ExitCode`, documented in the README)."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from kombu.exceptions import OperationalError as BrokerOperationalError
from neo4j import exceptions as neo4j_errors
from pydantic import ValidationError
from redis import exceptions as redis_errors
from rich.console import Console
from rich.markup import escape

from affinity.errors import AffinityError, DatabaseUnavailableError, ValidationFailedError
from affinity.settings import Settings, get_settings
from stores.dispatch import BrokerUnavailableError, redact_url

# The driver logs its retries as warnings; with no handler Python would print them as noise beside
# the one-line error.
logging.getLogger("neo4j").addHandler(logging.NullHandler())
logging.getLogger("neo4j").propagate = False

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


#: ``--json`` on every command that prints data: one JSON document on stdout instead of text.
JSON_OPTION = typer.Option(False, "--json", help="print one JSON document on stdout (for scripts)")


def print_json(data: Any) -> None:
    """``data`` (dataclasses included) as JSON on stdout, nothing else: errors still go to stderr."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        return str(value)

    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=plain) + "\n")


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        raise AffinityError(f"invalid setting {field}: {first['msg']}") from None


class ExitCode(IntEnum):
    """Exit statuses of every command (README, "Exit codes")."""

    OK = 0
    #: an expected failure: invalid input, a failed job, a refused change
    FAILED = 1
    #: the command line is wrong (click's own status), or a checked state is not ready
    USAGE = 2
    #: Neo4j or Redis cannot be reached, before or during the command
    UNAVAILABLE = 3


#: Lost mid-way: the driver's or the broker's errors when a server goes away.
NEO4J_LOST = (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired)
REDIS_LOST = (redis_errors.ConnectionError, redis_errors.TimeoutError, BrokerOperationalError)
RESTART = {"Neo4j": "affinity db start", "Redis": "affinity broker start"}

#: What the running command reported done (step -> (done, total)): each step reports after a commit.
_done: dict[str, tuple[int, int]] = {}


def record_progress(step: str, done: int, total: int) -> None:
    """Note ``done`` of ``total`` committed in ``step``, for the outage line."""
    _done[step] = (done, total)


def lost_service(error: BaseException) -> str | None:
    """ "Neo4j" or "Redis" when ``error`` (or what it was raised from) means that server went away."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, NEO4J_LOST):
            return "Neo4j"
        if isinstance(seen, REDIS_LOST):
            return "Redis"
        seen = seen.__cause__ or seen.__context__
    return None


def outage_line(service: str, error: BaseException) -> str:
    """One line: which server was lost, what was done before, how to go on."""
    done = "; ".join(f"{step} {d:,} of {t:,}" for step, (d, t) in _done.items() if t) or "nothing"
    settings = get_settings()
    where = settings.neo4j_uri if service == "Neo4j" else redact_url(settings.broker_url)
    return (
        f"lost {service} at {where} during the command ({type(error).__name__}); progress before it "
        f"(each step reports after a commit): {done}. Start it (`{RESTART[service]}`) and run the "
        "same command again: it skips what is already written"
    )


def _fail(message: str, code: ExitCode) -> None:
    err_console.print(f"[red]error:[/red] {escape(' '.join(message.split()))}")
    sys.exit(code)


@contextmanager
def clean_errors() -> Iterator[None]:
    """Print a failure as one red line and exit with its :class:`ExitCode`, instead of a traceback."""
    _done.clear()
    try:
        yield
    except ValidationFailedError as error:
        err_console.print(f"[red]error:[/red] {escape(str(error))}")
        for problem in error.problems[:50]:
            err_console.print(f"  {escape(problem)}")
        if len(error.problems) > 50:
            err_console.print(f"  ... and {len(error.problems) - 50} more")
        sys.exit(ExitCode.FAILED)
    except (DatabaseUnavailableError, BrokerUnavailableError) as error:
        _fail(str(error), ExitCode.UNAVAILABLE)
    except AffinityError as error:
        _fail(str(error), ExitCode.FAILED)
    except Exception as error:
        service = lost_service(error)
        if service is None:
            raise
        _fail(outage_line(service, error), ExitCode.UNAVAILABLE)


def command(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator for CLI commands: failures become one line and an :class:`ExitCode`."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with clean_errors():
            return func(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
