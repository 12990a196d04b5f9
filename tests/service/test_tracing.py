"""Tracing through a real API process to a stand-in OTLP collector: the request, its GraphQL
operation and Neo4j statements in one trace continuing the caller's, and a submitted job carrying
the request id and the trace context in its Celery message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import neo4j
import pytest
import redis

from affinity.settings import Settings
from affinity.tracing import REQUEST_ID
from stores import jobs
from tests.otlp_collector import Collector
from tests.servers import free_port, wait_until_healthy
from tests.service.api import ADMIN, READ

pytestmark = pytest.mark.integration

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_request_is_one_trace_down_to_neo4j_and_into_its_job(
    seeded: neo4j.Driver, redis_running: Settings, collector: Collector
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AFFINITY_OTEL_ENDPOINT": collector.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, text=True,
    )  # fmt: skip
    try:
        wait_until_healthy(process, base)
        caller = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01", "X-Request-ID": "traced-read"}
        query = {"query": 'query Traced { product(id: "P1") { title associations(first: 2) { score } } }'}
        answered = httpx.post(f"{base}/graphql", json=query, headers={**READ, **caller})
        assert answered.status_code == 200 and "errors" not in answered.json()

        answers = "... on RetrainQueued { job { jobId } } ... on RetrainRejected { message }"
        mutation = {"query": f"mutation {{ retrain {{ {answers} }} }}"}
        submitted = httpx.post(
            f"{base}/graphql", json=mutation, headers={**ADMIN, "X-Request-ID": "traced-job"}
        )
        assert "job" in submitted.json()["data"]["retrain"], submitted.json()
        job_id = submitted.json()["data"]["retrain"]["job"]["jobId"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    spans = collector.wait_for(lambda got: any(s.attributes.get(REQUEST_ID) == "traced-job" for s in got))
    read = [s for s in spans if s.trace_id == TRACE_ID]
    names = {s.name for s in read}
    assert "POST /graphql" in names and "neo4j products.by_ids" in names, names
    assert {"GraphQL Query: Traced", "GraphQL Resolving: associations"} <= names  # Strawberry's spans
    server = next(s for s in read if s.name == "POST /graphql")
    assert (
        server.parent_id == "00f067aa0ba902b7" and server.attributes["affinity.request_id"] == "traced-read"
    )
    assert {s.service for s in read} == {"affinity-api"}

    # The job keeps the request id; its Celery message carries the request's trace.
    job = jobs.get(seeded, redis_running.neo4j_database, job_id)
    assert job is not None and job.request_id == "traced-job"
    job_trace = next(s.trace_id for s in spans if s.attributes.get(REQUEST_ID) == "traced-job")
    client = redis.Redis.from_url(redis_running.broker_url)
    try:
        messages = [json.loads(raw) for raw in client.lrange(redis_running.queue_io, 0, -1)]
        sent = [m for m in messages if m["headers"].get("argsrepr") == repr((job_id,))]
        assert len(sent) == 1 and sent[0]["headers"]["traceparent"].split("-")[1] == job_trace
    finally:
        client.delete(redis_running.queue_io)  # no worker here: the message would linger for the next
        jobs.finish(seeded, redis_running.neo4j_database, job_id, "failed", error="test: never run")
