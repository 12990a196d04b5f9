"""Event ingest rate: `recordEvents` batches against one transaction per event.

    .venv/bin/python bench/bench_events.py --events 20000 --runs 3

Three ways store the same kind of events (views and clicks of 1,000 products, a third attributed
to a recommendation list) into an isolated Neo4j, in the same run:

- **api**: the `recordEvents` mutation over the whole ASGI app (in process: key check, validation,
  the token decode, one `events.record` transaction per call), `--api-batch` events a call;
- **batched**: the `events.record` statement through the driver, `--batch` events a transaction;
- **naive**: the same statement, one transaction per event, on a sample (it is much slower).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import isolate, machine, median, neo4j_running  # noqa: E402

isolate("events")
os.environ["AFFINITY_RATE_LIMIT_PER_S"] = "0"  # the ingest is measured here, not the per-key limit

import cypher  # noqa: E402
from affinity.settings import get_settings  # noqa: E402
from service.events import recommendation_id  # noqa: E402
from tests.statements import TEST_CYPHER  # noqa: E402

RECORD = cypher.query("events.record")
PRODUCTS = 1000
MUTATION = (
    """mutation($events: [EventInput!]!) { recordEvents(events: $events) { recorded rejected { index } } }"""
)


def events(count: int, list_id: str) -> list[dict[str, Any]]:
    """GraphQL event inputs: views and clicks of the products, every third from a list."""
    return [
        {
            "id": str(uuid.uuid4()),
            "type": "CLICK" if i % 4 == 0 else "VIEW",
            "productId": f"P{i % PRODUCTS}",
            "ts": "2011-09-01T12:00:00Z",
            "sessionId": f"s{i // 20}",
            "recommendationId": list_id if i % 3 == 0 else None,
        }
        for i in range(count)
    ]


def rows(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same events as the statement's rows (what the mutation sends)."""
    return [
        {
            "index": i, "id": e["id"], "type": e["type"].lower(), "ts": e["ts"], "product_id": e["productId"],
            "customer_id": None, "session_id": e["sessionId"], "recommendation_id": e["recommendationId"],
            "model_version": "bench" if e["recommendationId"] else None,
            "strategy": "customer_model" if e["recommendationId"] else None,
        }
        for i, e in enumerate(inputs)
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="event ingest rate")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--api-batch", type=int, default=100)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    settings = get_settings()
    db = settings.neo4j_database
    list_id = str(recommendation_id("bench", "customer_model"))
    rates: dict[str, list[float]] = {"api": [], "batched": [], "naive": []}
    with neo4j_running() as driver:
        from starlette.testclient import TestClient

        from service.app import create_app

        products = [{"id": f"P{i}", "title": f"product {i}"} for i in range(PRODUCTS)]
        driver.execute_query(TEST_CYPHER.query("create_products"), rows=products, database_=db)
        with TestClient(create_app(settings)) as client:
            for _ in range(args.runs):
                sent = events(args.events, list_id)
                started = time.perf_counter()
                for start in range(0, len(sent), args.api_batch):
                    body = {"query": MUTATION, "variables": {"events": sent[start : start + args.api_batch]}}
                    answer = client.post("/graphql", json=body, headers={"X-API-Key": "dev-read-key"}).json()
                    assert answer["data"]["recordEvents"]["rejected"] == [], answer
                rates["api"].append(len(sent) / (time.perf_counter() - started))
                batch = rows(events(args.events, list_id))
                started = time.perf_counter()
                for start in range(0, len(batch), args.batch):
                    driver.execute_query(RECORD, rows=batch[start : start + args.batch], database_=db)
                rates["batched"].append(len(batch) / (time.perf_counter() - started))
                sample = rows(events(args.naive_sample, list_id))
                started = time.perf_counter()
                for row in sample:
                    driver.execute_query(RECORD, rows=[row], database_=db)
                rates["naive"].append(len(sample) / (time.perf_counter() - started))
                print(", ".join(f"{k} {v[-1]:,.0f} events/s" for k, v in rates.items()), flush=True)
    cells = {k: f"{median(v):,.0f} | {', '.join(f'{x:,.0f}' for x in v)}" for k, v in rates.items()}
    text = f"""## Event ingest (`recordEvents`)

Command: `bench/bench_events.py --events {args.events} --runs {args.runs}`

Machine: {machine()}; Neo4j 5.26 Community, local, isolated, {PRODUCTS:,} products. Median of
{args.runs} runs, the three ways in turn in each run.

| way | median events/s | runs |
| --- | ---: | --- |
| api: `recordEvents` over the ASGI app, {args.api_batch} events a call | {cells["api"]} |
| batched: `events.record`, {args.batch} events a transaction | {cells["batched"]} |
| naive: one transaction per event ({args.naive_sample:,} events) | {cells["naive"]} |
| **ratio api / naive** | **{median(rates["api"]) / median(rates["naive"]):.1f}x** | |
| **ratio batched / naive** | **{median(rates["batched"]) / median(rates["naive"]):.1f}x** | |
"""
    if args.out is not None:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
