"""Relay cursor connections: opaque cursors, page info, pages in both directions, the size limit.

Cursors are URL-safe base64 of a small JSON object (the keyset position: the last id, and the last
search score or timestamp when the order is by one). They are opaque to clients and checked when
decoded, so a tampered cursor is a clear ``BAD_INPUT`` error, never a query on garbage.

A page is asked for forwards (``first``, ``after``) or backwards (``last``, ``before``). Each list's
Cypher takes the cursor, ``$forward`` and ``$limit`` (the page size plus one, which tells whether
more lie beyond) and reads a backward page in reverse order; :func:`connection` turns it round.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from affinity.settings import Settings
from service.errors import BadInputError, LimitExceededError
from service.query_runner import Graph, Statement

__all__ = [
    "After",
    "Before",
    "Connection",
    "Edge",
    "First",
    "Last",
    "PageInfo",
    "PageRequest",
    "check_batch",
    "check_first",
    "connection",
    "decode_cursor",
    "encode_cursor",
    "keyset_connection",
    "page_request",
]

NodeT = TypeVar("NodeT")

#: The page size when neither ``first`` nor ``last`` is given.
DEFAULT_PAGE_SIZE = 20
#: The cursor key that holds a time (``toString`` of a Neo4j datetime, read back with ``datetime()``).
TIME_KEY = "at"
_NEO4J_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})")

First = Annotated[
    int | None,
    strawberry.argument(description="Page forwards: this many (at most max_page_size; 20 by default)."),
]
After = Annotated[
    str | None, strawberry.argument(description="Page forwards from this cursor (an endCursor).")
]
Last = Annotated[
    int | None,
    strawberry.argument(description="Page backwards: the last this many (at most max_page_size)."),
]
Before = Annotated[
    str | None, strawberry.argument(description="Page backwards from this cursor (a startCursor).")
]


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


def check_batch(count: int, settings: Settings, argument: str) -> None:
    """A ``LIMIT_EXCEEDED`` error when a batch argument holds more than ``max_page_size`` ids."""
    if count > settings.max_page_size:
        raise LimitExceededError(
            f"{argument} has {count} ids; the maximum is {settings.max_page_size} (max_page_size)",
            limit="max_page_size",
            maximum=settings.max_page_size,
        )


@dataclass(frozen=True)
class PageRequest:
    """A checked page request: its size, its direction, the list's cursor keys and the decoded cursor
    (None: from the end)."""

    size: int
    forward: bool
    keys: tuple[str, ...]
    position: Mapping[str, Any] | None

    @property
    def limit(self) -> int:
        """Rows to read: one more than the page tells whether more lie beyond it."""
        return self.size + 1

    @property
    def cursor_parameters(self) -> Mapping[str, Any]:
        """The cursor as the page statement's parameters: each key, null from either end."""
        return self.position or dict.fromkeys(self.keys)


def page_request(
    settings: Settings,
    keys: tuple[str, ...],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> PageRequest:
    """The page ``first``/``after`` or ``last``/``before`` ask for; mixing the two is ``BAD_INPUT``."""
    if (last is not None or before is not None) and (first is not None or after is not None):
        raise BadInputError("page forwards (`first`, `after`) or backwards (`last`, `before`), not both")
    forward = last is None and before is None
    size = check_first(first, settings) if first is not None else DEFAULT_PAGE_SIZE
    if not forward:
        size = check_first(last, settings, "last") if last is not None else DEFAULT_PAGE_SIZE
    cursor = after if forward else before
    if not cursor:
        return PageRequest(size, forward, keys, None)
    position = decode_cursor(cursor, keys)
    # Only the keys, each a string (a time as Neo4j writes one): what reaches the Cypher is checked.
    if not all(
        isinstance(position[key], str) and (key != TIME_KEY or _NEO4J_DATETIME.fullmatch(position[key]))
        for key in keys
    ):
        raise BadInputError(
            f"cursor {cursor[:60]!r} was not made by this API: pass an endCursor or startCursor"
        )
    return PageRequest(size, forward, keys, {key: position[key] for key in keys})


@strawberry.type(description="An edge of a connection: a node and its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        description="Opaque position: pass as `after` for what follows, `before` for what precedes."
    )
    node: NodeT = strawberry.field(description="The node.")


@strawberry.type(description="A page of a list (Relay cursor connection), in either direction.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The nodes of this page, in list order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many nodes the whole list holds (one count query).")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        return await self._count()


def connection(
    request: PageRequest,
    rows: Sequence[Any],
    node: Callable[[Any], NodeT],
    position: Callable[[Any], dict[str, Any]],
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """The connection of ``rows`` read for ``request`` (at most ``request.limit``, a backward page in
    reverse order). Whether a page lies on the side the cursor came from is not read: a cursor
    means there is one (Relay allows this), a page from the end means there is none."""
    more = len(rows) > request.size
    page = list(rows[: request.size])
    if not request.forward:
        page.reverse()
    edges = [Edge(cursor=encode_cursor(position(row)), node=node(row)) for row in page]
    came_from_cursor = request.position is not None
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more if request.forward else came_from_cursor,
            has_previous_page=came_from_cursor if request.forward else more,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


async def keyset_connection(
    graph: Graph,
    request: PageRequest,
    statements: tuple[Statement, Statement],
    node: Callable[[Any], NodeT],
    position: Callable[[Any], dict[str, Any]],
    **filters: Any,
) -> Connection[NodeT]:
    """The page ``request`` asks for, read by ``statements`` (the page, the count): the page statement
    takes the cursor's keys as parameters (null from either end), ``$forward``, ``$limit`` and the
    ``filters``; the count takes the ``filters`` alone, and runs only when ``totalCount`` is asked."""
    page, count = statements
    records = await graph.read(
        page, forward=request.forward, limit=request.limit, **request.cursor_parameters, **filters
    )

    async def total() -> int:
        (record,) = await graph.read(count, **filters)
        return int(record["total"])

    return connection(request, records, node, position, total)
