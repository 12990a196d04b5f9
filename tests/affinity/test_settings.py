from __future__ import annotations

import pytest
from pydantic import ValidationError

from affinity.settings import DEV_NEO4J_PASSWORD, Settings


def test_lists_read_from_comma_separated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFINITY_API_KEYS_READ", "a, b,,c")
    assert Settings().api_keys_read == ["a", "b", "c"]


def test_production_refuses_the_development_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFINITY_ENVIRONMENT", "production")
    monkeypatch.setenv("AFFINITY_NEO4J_PASSWORD", DEV_NEO4J_PASSWORD)
    with pytest.raises(ValidationError, match="AFFINITY_NEO4J_PASSWORD"):
        Settings()


def test_production_refuses_development_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFINITY_ENVIRONMENT", "production")
    monkeypatch.setenv("AFFINITY_NEO4J_PASSWORD", "s3cret-and-long")
    with pytest.raises(ValidationError, match="API_KEYS"):
        Settings()
    monkeypatch.setenv("AFFINITY_API_KEYS_READ", STRONG_READ)
    monkeypatch.setenv("AFFINITY_API_KEYS_ADMIN", STRONG_ADMIN)
    assert Settings().api_keys_admin == [STRONG_ADMIN]


STRONG_READ = "q8Zr2LwV-xN4tKb7yHc3Md"
STRONG_ADMIN = "A9fJ2kLm-Qw7Rt5Yu1Zx8V"


@pytest.mark.parametrize("weak", ["a-key", "aaaaaaaaaaaaaaaaaaaaaaaa", "abcabcabcabcabcabcabcabc"])
def test_production_refuses_weak_api_keys(monkeypatch: pytest.MonkeyPatch, weak: str) -> None:
    monkeypatch.setenv("AFFINITY_ENVIRONMENT", "production")
    monkeypatch.setenv("AFFINITY_NEO4J_PASSWORD", "s3cret-and-long")
    monkeypatch.setenv("AFFINITY_API_KEYS_READ", weak)
    monkeypatch.setenv("AFFINITY_API_KEYS_ADMIN", STRONG_ADMIN)
    with pytest.raises(ValidationError, match="too weak"):
        Settings()


def test_introspection_is_off_in_production_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().introspection_enabled
    monkeypatch.setenv("AFFINITY_ENVIRONMENT", "production")
    monkeypatch.setenv("AFFINITY_NEO4J_PASSWORD", "s3cret-and-long")
    monkeypatch.setenv("AFFINITY_API_KEYS_READ", STRONG_READ)
    monkeypatch.setenv("AFFINITY_API_KEYS_ADMIN", STRONG_ADMIN)
    assert not Settings().introspection_enabled
    monkeypatch.setenv("AFFINITY_INTROSPECTION", "true")
    assert Settings().introspection_enabled


def test_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFINITY_INGEST_BATCH_SIZE", "lots")
    with pytest.raises(ValidationError, match="ingest_batch_size"):
        Settings()
