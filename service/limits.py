"""The request body limit: a body over ``max_body_bytes`` is refused before anything parses it.

The GraphQL document limits (depth, aliases, tokens) are Strawberry extensions in
:mod:`service.schema` and are named in their errors by :mod:`service.errors`; the page-size limit is
:func:`service.pagination.check_first`. This one sits in front of them all, as ASGI middleware: a
declared ``Content-Length`` over the limit is answered 413 without reading a byte of the body, and a
body without one (``Transfer-Encoding: chunked``) is counted as it arrives and answered 413 as soon
as it passes the limit. A body within the limit is buffered (it is at most ``max_body_bytes``) and
handed to the application as one message.
"""

from __future__ import annotations

import json

from cross_web import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import LimitExceededError

__all__ = ["BodySizeLimit", "body_too_large", "parse_request_json"]


def body_too_large(max_bytes: int, request_id: str | None) -> bytes:
    """The 413 answer: a GraphQL-shaped error naming the setting and its value."""
    error = LimitExceededError(
        f"the request body is larger than max_body_bytes={max_bytes} bytes and was refused "
        "unread; send less per request (bulk loads belong to `affinity ingest`)",
        limit="max_body_bytes",
        maximum=max_bytes,
        requestId=request_id,
    )
    return json.dumps({"errors": [error.formatted]}).encode()


class BodySizeLimit:
    """ASGI middleware refusing HTTP request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nobody to answer
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request_id = scope.get("state", {}).get("request_id")
        body = body_too_large(self.max_bytes, request_id)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is not read: this connection cannot carry another request.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length before the app sees it
    return None


def parse_request_json(data: str | bytes) -> object:
    """The JSON of a request body, or HTTP 400 saying what is wrong with it.

    Strawberry's own parse answered 500 (an unhandled exception) to a body that is JSON but neither
    an object nor an array (``null``, ``5``, ``"x"``), to bytes that are not UTF-8, and to arrays
    nested past Python's recursion limit; found by the fuzz run (``tests/service/test_fuzz.py``).
    """
    try:
        parsed = json.loads(data)
    except ValueError:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        raise HTTPException(400, "Unable to parse request body as JSON") from None
    except RecursionError:
        raise HTTPException(400, "Unable to parse request body as JSON: nested too deeply") from None
    if not isinstance(parsed, dict | list):
        raise HTTPException(
            400, 'The request body must be a JSON object: {"query": "...", "variables": {...}}'
        )
    return parsed
