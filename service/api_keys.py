"""The API keys each scope accepts: the settings' lists and, where set, a file per scope.

A file holds one key a line (``#`` starts a comment), as Docker or Kubernetes secrets mount them.
It is read again when it changes (its modification time, looked at no more than once a second), so
an operator rotates keys by rewriting the file: no restart. A file that cannot be read or holds a
weak key stops the API at start-up; later, the same problem is logged and the keys read before stay
in force, so a half-written rotation never locks every client out.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from affinity.errors import ConfigurationError
from affinity.settings import DEV_API_KEYS, Environment, Settings, weak_key

__all__ = ["ApiKeys", "read_key_file"]

log = logging.getLogger("affinity.api")

#: Seconds between looks at the key files.
CHECK_EVERY_S = 1.0


def read_key_file(path: Path, production: bool) -> list[str]:
    """The keys in ``path``; ``ConfigurationError`` naming the file and the problem."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ConfigurationError(f"cannot read the API key file {path}: {error.strerror or error}") from None
    keys = [line.split("#", 1)[0].strip() for line in lines]
    keys = [key for key in keys if key]
    if not keys:
        raise ConfigurationError(f"the API key file {path} holds no key")
    for number, key in enumerate(keys, start=1):
        if production and (problem := weak_key(key)):
            raise ConfigurationError(f"key {number} of the API key file {path} is too weak: {problem}")
    return keys


class ApiKeys:
    """Which keys grant read and which grant admin, now (:meth:`read`, :meth:`admin`)."""

    def __init__(self, settings: Settings) -> None:
        self.production = settings.environment is Environment.production
        self.files = {"read": settings.api_keys_read_file, "admin": settings.api_keys_admin_file}
        listed = {"read": settings.api_keys_read, "admin": settings.api_keys_admin}
        # In production the development keys are only the defaults standing in for "none".
        self.listed = {
            scope: [key for key in keys if not (self.production and key in DEV_API_KEYS)]
            for scope, keys in listed.items()
        }
        self.from_files: dict[str, tuple[int, list[str]]] = {}
        for scope, path in self.files.items():
            if path is not None:
                self.from_files[scope] = (_mtime(path), read_key_file(path, self.production))
        self.checked_at = time.monotonic()

    def read(self) -> list[str]:
        return self._keys("read")

    def admin(self) -> list[str]:
        return self._keys("admin")

    def _keys(self, scope: str) -> list[str]:
        now = time.monotonic()
        if now - self.checked_at >= CHECK_EVERY_S:
            self.checked_at = now
            self._reload_changed()
        return self.listed[scope] + self.from_files.get(scope, (0, []))[1]

    def _reload_changed(self) -> None:
        for scope, path in self.files.items():
            if path is None:
                continue
            try:
                mtime = _mtime(path)
                if mtime == self.from_files[scope][0]:
                    continue
                self.from_files[scope] = (mtime, read_key_file(path, self.production))
            except (OSError, ConfigurationError) as error:
                log.error("API keys (%s) not reloaded, the previous ones stay in force: %s", scope, error)
                continue
            log.info("API keys (%s) reloaded from %s: %d key(s)", scope, path, len(self.from_files[scope][1]))


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0  # read_key_file names the problem
