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
from tests.servers import wait_until_healthy
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
            json={"query": 'query First { product(id: "P1") { title associations { product { id } } } }'},
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
