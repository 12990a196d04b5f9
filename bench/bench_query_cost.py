"""What the query cost limit costs: the estimate's time per document (what every operation pays),
and the time to refuse the nested three-page ``associations`` query through the whole app (ASGI,
in process: body, parse, validation, the estimate, the error), half of the requests with a new
document so the parse and validation caches miss.

    .venv/bin/python bench/bench_query_cost.py [--requests 300] [--runs 5]

Nothing here touches Neo4j: a refused operation never reaches it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import graphql  # noqa: E402
import neo4j  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from affinity.settings import Settings  # noqa: E402
from bench.common import free_port  # noqa: E402
from service.app import create_app  # noqa: E402
from service.query_cost import operation_cost  # noqa: E402
from service.schema import build_schema  # noqa: E402
from tests.service.test_query_cost import NESTED, PRODUCT_PAGE  # noqa: E402

READ = {"X-API-Key": "dev-read-key"}


def estimate_us(document: str, repeats: int = 2000) -> float:
    schema = build_schema(Settings())._schema
    operation = graphql.parse(document).definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    started = time.perf_counter()
    for _ in range(repeats):
        operation_cost(schema, operation, {}, {"id": "P1"}, 100)
    return (time.perf_counter() - started) / repeats * 1e6


def refusal_ms(requests: int) -> list[float]:
    settings = Settings(environment="test", neo4j_uri=f"bolt://127.0.0.1:{free_port()}", rate_limit_per_s=0)
    driver = neo4j.AsyncGraphDatabase.driver(settings.neo4j_uri, auth=("neo4j", "unused"))
    times = []
    with TestClient(create_app(settings, driver=driver)) as client:
        for i in range(requests):
            # a different document each time half the runs: the parse and validation caches miss
            document = NESTED if i % 2 else NESTED.replace("title", f"t{i}: title")
            started = time.perf_counter()
            answer = client.post("/graphql", json={"query": document}, headers=READ).json()
            times.append((time.perf_counter() - started) * 1000)
            assert answer["errors"][0]["extensions"]["limit"] == "max_query_cost", answer
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    nested, page, p50, p99 = [], [], [], []
    for _ in range(args.runs):
        nested.append(estimate_us(NESTED))
        page.append(estimate_us(PRODUCT_PAGE))
        times = sorted(refusal_ms(args.requests))
        p50.append(times[len(times) // 2])
        p99.append(times[int(len(times) * 0.99) - 1])
    med = statistics.median
    runs = args.runs
    print(f"estimate (median of {runs}): nested query {med(nested):.1f} us, product page {med(page):.1f} us")
    print(f"nested query refused through the app: p50 {med(p50):.2f} ms, p99 {med(p99):.2f} ms")


if __name__ == "__main__":
    main()
