"""`affinity serve`: a real uvicorn process answering over HTTP, with JSON logs, then stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from affinity.settings import Settings
from tests.prometheus_text import sample
from tests.servers import free_port, wait_until_healthy
from tests.service.api import READ

pytestmark = pytest.mark.integration


def test_serve_answers_graphql_health_and_metrics(seeded: object, settings: Settings) -> None:
    base = f"http://127.0.0.1:{settings.api_port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(settings.api_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        wait_until_healthy(process, base)
        assert httpx.get(f"{base}/readyz").json()["ready"] is True
        response = httpx.post(
            f"{base}/graphql",
            json={
                "query": 'query First { product(id: "P1") { title associations { product { productId } } } }'
            },
            headers={**READ, "X-Request-ID": "uvicorn-test-1"},
        )
        assert response.status_code == 200 and response.headers["x-request-id"] == "uvicorn-test-1"
        assert response.json()["data"]["product"]["title"] == "Desk lamp"
        assert 'operation="First"' in httpx.get(f"{base}/metrics").text
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert f"{base}/graphql" in out and "/browser/" in out
    logs = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    request = next(entry for entry in logs if entry.get("request_id") == "uvicorn-test-1")
    assert request["path"] == "/graphql" and request["status"] == 200 and request["neo4j_round_trips"] == 2


def test_two_api_workers_are_summed_in_one_scrape(seeded: object, settings: Settings) -> None:
    """uvicorn with two worker processes: whichever answers /metrics, the counters are the sum of both."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    metrics_dir = settings.metrics_dir / f"api-{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    sent = 0
    try:
        wait_until_healthy(process, base)
        query = {"query": 'query Summed { product(id: "P1") { title } }'}
        # New connections until both processes have answered some (the kernel picks the acceptor).
        while sent < 20 or len({p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}) < 2:
            assert sent < 1000, "one uvicorn worker answered everything"
            response = httpx.post(f"{base}/graphql", json=query, headers={**READ, "Connection": "close"})
            assert response.status_code == 200 and "errors" not in response.json()
            sent += 1
        scrapes = [httpx.get(f"{base}/metrics", headers={"Connection": "close"}).text for _ in range(6)]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    for text in scrapes:
        assert sample(text, "affinity_api_requests_total", {"operation": "Summed", "outcome": "ok"}) == sent
        assert sample(text, "affinity_api_request_seconds_count", {"operation": "Summed"}) == sent
