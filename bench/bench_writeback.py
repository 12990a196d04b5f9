"""Learned-edge write-back: batched `UNWIND` per transaction vs one transaction per edge.

    .venv/bin/python bench/bench_writeback.py --products 5000 --k 10 --runs 3

Both ways write the same rows of the `ASSOCIATED` edges of a candidate version into an isolated
Neo4j; the naive way is measured on a sample (it is ~100x slower) in the same run.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import isolate, machine, median, neo4j_running  # noqa: E402

isolate("writeback")

import cypher  # noqa: E402
from affinity.settings import get_settings  # noqa: E402
from graph_schema import AssociationKind  # noqa: E402
from stores import versions  # noqa: E402
from tests.statements import TEST_CYPHER  # noqa: E402

NAIVE = cypher.query("associations.write_learned")


def edge_rows(products: int, k: int, seed: int = 0) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(products):
        for rank, j in enumerate(rng.sample(range(products), k + 1), start=1):
            if j != i and rank <= k:
                rows.append(
                    {
                        "source": f"P{i}",
                        "target": f"P{j}",
                        "score": 1.0 / rank,
                        "rank": rank,
                        "kind": AssociationKind.COMPLEMENT.value,
                    }
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="learned-edge write-back rate")
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks_writeback.md")
    args = parser.parse_args()
    rows = edge_rows(args.products, args.k)
    db = get_settings().neo4j_database
    batched: list[float] = []
    naive: list[float] = []
    with neo4j_running() as driver:
        products = [{"id": f"P{i}", "title": f"product {i}"} for i in range(args.products)]
        driver.execute_query(TEST_CYPHER.query("create_products"), rows=products, database_=db)
        for run in range(args.runs):
            version = f"bench-{run}"
            versions.create_candidate(driver, db, version, {}, "", job_id=version)
            started = time.perf_counter()
            versions.write_edges(driver, db, version, rows, args.batch_size, len(rows))
            batched.append(len(rows) / (time.perf_counter() - started))
            sample = rows[: args.naive_sample]
            naive_version = f"naive-{run}"
            started = time.perf_counter()
            for row in sample:
                driver.execute_query(NAIVE, rows=[row], version=naive_version, database_=db)
            naive.append(len(sample) / (time.perf_counter() - started))
            print(
                f"run {run + 1}: batched {batched[-1]:,.0f} edges/s, naive {naive[-1]:,.0f} edges/s",
                flush=True,
            )
    text = f"""## Learned-edge write-back

Command: `bench/bench_writeback.py --products {args.products} --k {args.k} --runs {args.runs}`

Machine: {machine()}; Neo4j 5.26 Community, local, isolated. {len(rows):,} `ASSOCIATED` edges
({args.products:,} products x top-{args.k}); batched = `stores.versions.write_edges` ({args.batch_size} rows
per `UNWIND` transaction, the pipeline's write step); naive = one transaction per edge on the first
{args.naive_sample:,} rows, same statement, same run. Median of {args.runs} runs.

| way | median edges/s | runs |
| --- | ---: | --- |
| batched | {median(batched):,.0f} | {", ".join(f"{v:,.0f}" for v in batched)} |
| naive (one transaction per edge) | {median(naive):,.0f} | {", ".join(f"{v:,.0f}" for v in naive)} |
| **ratio batched / naive** | **{median(batched) / median(naive):.0f}x** | |
"""
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
