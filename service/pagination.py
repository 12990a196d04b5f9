"""Relay-style cursor pagination: opaque cursors, page info and the page size limit.

Cursors are URL-safe base64 of a small JSON object (the keyset position: the last id, and the last
search score when the order is by score). They are opaque to clients and checked when decoded, so a
tampered cursor is a clear ``BAD_INPUT`` error, never a query on garbage.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import strawberry

from affinity.settings import Settings
from service.errors import BadInputError, LimitExceededError

__all__ = ["PageInfo", "check_first", "decode_cursor", "encode_cursor"]


@strawberry.type(description="Where a page sits in the whole list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when a page follows this one.")
    has_previous_page: bool = strawberry.field(
        description="True when this page was asked for `after` a cursor."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge of the page.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge: pass it as `after` to get the next page."
    )


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, required: tuple[str, ...]) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadInputError(f"invalid cursor {cursor[:60]!r}: pass an endCursor this API returned") from None
    if not isinstance(position, dict) or any(key not in position for key in required):
        raise BadInputError(
            f"cursor {cursor[:60]!r} does not belong to this list "
            "(was it from a search with other arguments?)"
        )
    return position


def check_first(first: int, settings: Settings, argument: str = "first") -> int:
    """``first`` if it is a page size the settings allow; else a ``LIMIT_EXCEEDED``/``BAD_INPUT`` error."""
    if first < 1:
        raise BadInputError(f"{argument} must be at least 1 (got {first})")
    if first > settings.max_page_size:
        raise LimitExceededError(
            f"{argument}={first} exceeds the maximum page size of {settings.max_page_size} (max_page_size)",
            limit="max_page_size",
            maximum=settings.max_page_size,
        )
    return first
