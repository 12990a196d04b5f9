"""API keys from files (Docker secrets): read at start, rotated by rewriting the file, refused when
weak in production, and a bad rewrite keeps the previous keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from affinity.errors import ConfigurationError
from affinity.settings import Environment, Settings
from service import api_keys
from service.api_keys import ApiKeys
from service.auth import Scope, authenticate

OLD = "old-Zr2LwV-xN4tKb7yHc3Md"
NEW = "new-fJ2kLm-Qw7Rt5Yu1Zx8V"
ADMIN = "adm-9fJ2kLm-Qw7Rt5Yu1Zx8"


def production(tmp_path: Path) -> Settings:
    (tmp_path / "read").write_text(f"# read keys\n{OLD}\n")
    (tmp_path / "admin").write_text(ADMIN + "\n")
    return Settings(
        environment=Environment.production,
        neo4j_password="s3cret-and-long",
        api_keys_read_file=tmp_path / "read",
        api_keys_admin_file=tmp_path / "admin",
    )


def rewrite(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()  # a new modification time even within the file system's clock resolution
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_keys_from_files_rotate_without_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_keys, "CHECK_EVERY_S", 0.0)
    keys = ApiKeys(production(tmp_path))
    # in production the development defaults grant nothing; the files' keys do
    assert authenticate("dev-read-key", keys).scopes == frozenset()
    assert authenticate(OLD, keys).scopes == {Scope.READ}
    assert authenticate(ADMIN, keys).scopes == {Scope.READ, Scope.ADMIN}

    rewrite(tmp_path / "read", NEW + "\n")
    assert authenticate(NEW, keys).scopes == {Scope.READ}
    assert authenticate(OLD, keys).scopes == frozenset()

    # a weak or empty rewrite is refused and the keys in force stay
    rewrite(tmp_path / "read", "short\n")
    assert authenticate(NEW, keys).scopes == {Scope.READ}
    rewrite(tmp_path / "read", "# nothing yet\n")
    assert authenticate(NEW, keys).scopes == {Scope.READ}


def test_a_bad_key_file_stops_the_start_naming_it(tmp_path: Path) -> None:
    settings = production(tmp_path)
    (tmp_path / "admin").write_text("weak\n")
    with pytest.raises(ConfigurationError, match=r"key 1 of the API key file .*admin is too weak"):
        ApiKeys(settings)
    (tmp_path / "admin").unlink()
    with pytest.raises(ConfigurationError, match=r"cannot read the API key file .*admin"):
        ApiKeys(settings)
