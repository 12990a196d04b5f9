"""Helpers shared by command groups: settings, console, turning domain errors into one line."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from affinity.errors import AffinityError, ValidationFailedError
from affinity.settings import Settings, get_settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        raise AffinityError(f"invalid setting {field}: {first['msg']}") from None


@contextmanager
def clean_errors() -> Iterator[None]:
    """Print an expected failure as one red line and exit 1, instead of a traceback."""
    try:
        yield
    except ValidationFailedError as error:
        err_console.print(f"[red]error:[/red] {escape(str(error))}")
        for problem in error.problems[:50]:
            err_console.print(f"  {escape(problem)}")
        if len(error.problems) > 50:
            err_console.print(f"  ... and {len(error.problems) - 50} more")
        sys.exit(1)
    except AffinityError as error:
        err_console.print(f"[red]error:[/red] {escape(' '.join(str(error).split()))}")
        sys.exit(1)


def command(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator for CLI commands: domain errors become one line and exit status 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with clean_errors():
            return func(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
