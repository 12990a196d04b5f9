"""Errors a client is meant to read, and the masking of every other one.

An :class:`ApiError` is an expected failure (an unknown id, a limit, a bad argument): its message
names the thing to fix and ``extensions.code`` says which kind it is. Any other exception raised
while resolving is unexpected: :class:`MaskUnexpectedErrors` replaces its message with one that
carries the request id (outside development), so a client can quote the id and an operator can find
the full traceback in the logs under the same id. Every error, masked or not, carries
``extensions.requestId``.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

__all__ = [
    "ApiError",
    "BadInputError",
    "ErrorCode",
    "LimitExceededError",
    "MaskUnexpectedErrors",
    "NotFoundError",
    "UnavailableError",
    "is_expected",
]

log = logging.getLogger("affinity.api")


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    BAD_INPUT = "BAD_INPUT"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    TIMEOUT = "TIMEOUT"
    UNAVAILABLE = "UNAVAILABLE"
    FORBIDDEN = "FORBIDDEN"
    INTERNAL = "INTERNAL"


class ApiError(GraphQLError):
    """An expected failure, shown to the client as it is."""

    code: ErrorCode = ErrorCode.BAD_INPUT

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, extensions={"code": str(self.code), **details})


class NotFoundError(ApiError):
    code = ErrorCode.NOT_FOUND


class BadInputError(ApiError):
    code = ErrorCode.BAD_INPUT


class LimitExceededError(ApiError):
    code = ErrorCode.LIMIT_EXCEEDED


class RequestTimeoutError(ApiError):
    code = ErrorCode.TIMEOUT


class UnavailableError(ApiError):
    code = ErrorCode.UNAVAILABLE


# The document limits are Strawberry's (QueryDepthLimiter, MaxAliasesLimiter, MaxTokensLimiter): their
# messages give the maximum but not the setting. Whole messages, so an echoed argument never matches.
_DOCUMENT_LIMITS = (
    (re.compile(r"'\w*' exceeds maximum operation depth of (\d+)"), "max_query_depth"),
    (re.compile(r"\d+ aliases found\. Allowed: (\d+)"), "max_aliases"),
    (
        re.compile(r"Syntax Error: Document contains more than (\d+) tokens\. Parsing aborted\."),
        "max_query_tokens",
    ),
)


def name_document_limit(error: GraphQLError) -> None:
    """A depth, alias or token limit error becomes ``LIMIT_EXCEEDED`` naming its setting (in place,
    idempotent: the validation cache hands the same error objects to a repeated document)."""
    if error.original_error is not None:  # raised by a resolver: not a document limit
        return
    for pattern, setting in _DOCUMENT_LIMITS:
        match = pattern.fullmatch(error.message.removesuffix(f" ({setting})"))
        if match:
            if not error.message.endswith(f" ({setting})"):
                error.message = f"{error.message} ({setting})"
            error.extensions = {
                **(error.extensions or {}),
                "code": str(ErrorCode.LIMIT_EXCEEDED),
                "limit": setting,
                "maximum": int(match.group(1)),
            }
            return


def is_expected(error: GraphQLError) -> bool:
    """Parse, validation, limit and permission errors, and :class:`ApiError`: shown as they are."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's ``MaskErrors``, masking only unexpected errors, naming the request id in each.

    ``mask`` is false in development, where the original message is kept (still with the id).
    """

    def __init__(self, mask: bool) -> None:
        super().__init__(should_mask_error=lambda error: mask and not is_expected(error))

    def _request_id(self) -> str:
        context = self.execution_context.context
        return str(getattr(context, "request_id", "-"))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = self._request_id()
        return GraphQLError(
            message=f"Unexpected error (request id {request_id}); the operators can find it in the logs.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": str(ErrorCode.INTERNAL), "requestId": request_id},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        request_id = self._request_id()
        for error in errors:
            if not is_expected(error):
                log.error(
                    "unexpected error in %s",
                    ".".join(str(part) for part in error.path or []) or "operation",
                    exc_info=error.original_error,
                    extra={"request_id": request_id},
                )
        processed = super()._process_errors(errors)
        for error in processed:
            name_document_limit(error)
            extensions = dict(error.extensions or {})
            # Parse and validation errors (the depth, token and alias limits among them) have no code yet.
            extensions.setdefault("code", "INVALID_QUERY" if is_expected(error) else str(ErrorCode.INTERNAL))
            extensions["requestId"] = request_id
            error.extensions = extensions
        return processed
