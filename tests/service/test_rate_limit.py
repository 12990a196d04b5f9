"""Per-key rate limits: token buckets in a real Redis, shared by every API process."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from starlette.testclient import TestClient

from affinity.settings import Settings
from service.app import create_app
from service.rate_limit import KEY_PREFIX, rate_limiter_for
from tests.servers import free_port
from tests.service.api import ADMIN, READ

pytestmark = pytest.mark.integration

QUERY = {"query": "{ activeModel { versionId } }"}


@pytest.fixture
def limited(redis_running: Settings, seeded: object) -> Iterator[Settings]:
    """Settings with a small bucket (burst 3, one token a second) on the session's Redis, emptied."""
    client = redis.Redis.from_url(redis_running.broker_url)
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        client.delete(key)
    yield redis_running.model_copy(update={"rate_limit_per_s": 1.0, "rate_limit_burst": 3})
    client.close()


def metric(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return 0.0


def test_a_key_past_its_burst_is_refused_with_the_delay_and_others_go_on(limited: Settings) -> None:
    with TestClient(create_app(limited)) as client:
        refused_before = metric(client, "affinity_api_rate_limited_total")
        answers = [client.post("/graphql", json=QUERY, headers=READ) for _ in range(4)]
        assert all("errors" not in a.json() for a in answers[:3]), [a.json() for a in answers]
        refused = answers[3].json()
        assert refused.get("data") is None
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["limit"] == "rate_limit_per_s"
        assert 0 < error["extensions"]["retryAfterS"] <= 1.0
        assert answers[3].headers["Retry-After"] == "1"
        assert "at most 1 a second" in error["message"]
        # another key has its own bucket
        assert "errors" not in client.post("/graphql", json=QUERY, headers=ADMIN).json()
        assert metric(client, "affinity_api_rate_limited_total") == refused_before + 1


def test_the_bucket_refills_at_the_rate(limited: Settings) -> None:
    with TestClient(create_app(limited)) as client:
        for _ in range(3):
            client.post("/graphql", json=QUERY, headers=READ)
        error = client.post("/graphql", json=QUERY, headers=READ).json()["errors"][0]
        wait_s = error["extensions"]["retryAfterS"]
        time.sleep(wait_s + 0.05)
        assert "errors" not in client.post("/graphql", json=QUERY, headers=READ).json()


def test_api_processes_share_one_bucket_per_key(limited: Settings) -> None:
    # two apps (two API workers or hosts) on one Redis: a key's burst is spent across both
    with TestClient(create_app(limited)) as first, TestClient(create_app(limited)) as second:
        spent = [
            first.post("/graphql", json=QUERY, headers=READ),
            second.post("/graphql", json=QUERY, headers=READ),
        ]
        spent.append(first.post("/graphql", json=QUERY, headers=READ))
        assert all("errors" not in a.json() for a in spent)
        assert second.post("/graphql", json=QUERY, headers=READ).json()["errors"][0]["extensions"][
            "code"
        ] == ("RATE_LIMITED")


def test_without_redis_requests_pass_and_are_counted(seeded: object, settings: Settings) -> None:
    nowhere = settings.model_copy(
        update={
            "rate_limit_per_s": 1.0,
            "rate_limit_burst": 1,
            "rate_limit_redis_url": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    with TestClient(create_app(nowhere)) as client:
        before = metric(client, "affinity_api_rate_limiter_unavailable_total")
        answers = [client.post("/graphql", json=QUERY, headers=READ).json() for _ in range(3)]
        assert all("errors" not in a for a in answers), answers
        # one failed check, then Redis is left alone for a while instead of slowing every request
        assert metric(client, "affinity_api_rate_limiter_unavailable_total") == before + 1


def test_limits_off_without_a_rate_or_a_redis_url(settings: Settings) -> None:
    assert rate_limiter_for(settings.model_copy(update={"rate_limit_per_s": 0.0})) is None
    sqlite = settings.model_copy(update={"rate_limit_per_s": 5.0, "broker_url": "sqla+sqlite:///x.db"})
    assert rate_limiter_for(sqlite) is None
    assert rate_limiter_for(settings.model_copy(update={"rate_limit_per_s": 5.0})) is not None
