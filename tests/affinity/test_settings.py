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
    monkeypatch.setenv("AFFINITY_API_KEYS_READ", "r-key")
    monkeypatch.setenv("AFFINITY_API_KEYS_ADMIN", "a-key")
    assert Settings().api_keys_admin == ["a-key"]


def test_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFINITY_INGEST_BATCH_SIZE", "lots")
    with pytest.raises(ValidationError, match="ingest_batch_size"):
        Settings()
