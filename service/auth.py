"""API keys and scopes: who is calling, and the permission classes that guard fields.

A key travels in the ``X-API-Key`` header (or ``Authorization: Bearer <key>``). Keys listed in
``AFFINITY_API_KEYS_READ`` (or its ``_FILE``) may query; keys in ``AFFINITY_API_KEYS_ADMIN`` may
also mutate (ingest, retrain, activate, rollback); :mod:`service.api_keys` keeps them current.
Keys are compared in constant time; logs carry only a short
fingerprint of a key, never the key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from strawberry.permission import BasePermission

from service.api_keys import ApiKeys
from service.errors import ErrorCode

__all__ = ["API_KEY_HEADER", "AdminScope", "Caller", "ReadScope", "Scope", "authenticate"]

API_KEY_HEADER = "X-API-Key"


class Scope(StrEnum):
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """The caller of one request: the scopes its key grants (none without a key)."""

    scopes: frozenset[Scope]
    fingerprint: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.fingerprint is None


ANONYMOUS = Caller(frozenset())


def _matches(key: str, keys: list[str]) -> bool:
    # Compare against every key (no early exit) so timing does not tell which prefix matched.
    found = False
    for candidate in keys:
        found |= hmac.compare_digest(key.encode(), candidate.encode())
    return found


def key_from_headers(headers: Any) -> str | None:
    key = headers.get(API_KEY_HEADER)
    if key:
        return str(key).strip()
    authorization = str(headers.get("authorization") or "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def authenticate(key: str | None, keys: ApiKeys) -> Caller:
    if not key:
        return ANONYMOUS
    fingerprint = hashlib.sha256(key.encode()).hexdigest()[:8]
    if _matches(key, keys.admin()):
        return Caller(frozenset({Scope.READ, Scope.ADMIN}), fingerprint)
    if _matches(key, keys.read()):
        return Caller(frozenset({Scope.READ}), fingerprint)
    return Caller(frozenset(), fingerprint)


class ReadScope(BasePermission):
    """Every query field: any valid key (read or admin)."""

    message = f"this field needs an API key with the read scope in the {API_KEY_HEADER} header"
    error_extensions = {"code": str(ErrorCode.FORBIDDEN)}  # noqa: RUF012

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return Scope.READ in info.context.caller.scopes


class AdminScope(BasePermission):
    """Mutations (ingest, retrain, model activation): a key with the admin scope."""

    message = f"this mutation needs an API key with the admin scope in the {API_KEY_HEADER} header"
    error_extensions = {"code": str(ErrorCode.FORBIDDEN)}  # noqa: RUF012

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return Scope.ADMIN in info.context.caller.scopes
