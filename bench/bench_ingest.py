"""Ingest and BOUGHT_WITH write throughput, each against the naive way, measured in the same run.

    .venv/bin/python bench/bench_ingest.py [--runs 3] [--naive-lines 2000] [--naive-edges 2000]

It starts a throwaway Neo4j (like the tests), converts the shipped Online Retail data, then:

1. **ingest**: ``--runs`` full ingests of the converted files into an emptied graph (read, validate,
   batched ``UNWIND ... MERGE`` writes), then one more run over the full graph (the no-op re-run);
2. **naive ingest**: order lines written one transaction per line (``ingest.naive_upsert_order_line``)
   on ``--runs`` different samples of ``--naive-lines`` lines, products and customers already present;
3. **observe**: BOUGHT_WITH materialised from no edges, the no-op re-run, then ``--runs`` times one
   new order arrives and observe rewrites what moved;
4. **naive edges**: ``--naive-edges`` BOUGHT_WITH edges, one transaction per edge, ``--runs`` times
   (``AFFINITY_DATASET_PATH`` may point at a smaller raw file for a quick try);
5. **counting in Cypher**: the alternative to counting in Python, on the same sample of products.

Medians of the runs, the ratios and the machine go to stdout and ``docs/benchmarks_ingest.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench.common import BENCH_CYPHER, isolate, machine  # noqa: E402

RUN_DIR = isolate("ingest")

import neo4j  # noqa: E402

import cypher  # noqa: E402
from affinity import neo4j_server  # noqa: E402
from affinity.db import connect  # noqa: E402
from affinity.settings import Settings, get_settings  # noqa: E402
from graph_schema import migrate  # noqa: E402
from ingest.associations import _read_baskets, count_pairs, edges_by_product, observe  # noqa: E402
from ingest.online_retail import load_online_retail, write_input_files  # noqa: E402
from ingest.pipeline import graph_lookup, ingest_paths, load_dataset  # noqa: E402
from ingest.records import format_ts  # noqa: E402
from tests.statements import TEST_CYPHER  # noqa: E402

CLEAR_DATA = TEST_CYPHER.query("clear_data")
CLEAR_ORDERS = BENCH_CYPHER.query("clear_orders")
CLEAR_EDGES = BENCH_CYPHER.query("clear_observed")
NAIVE_LINE = BENCH_CYPHER.query("naive_upsert_order_line")
NAIVE_EDGE = BENCH_CYPHER.query("naive_create_edge")
IN_CYPHER = BENCH_CYPHER.query("compute_in_cypher")
REPLACE_EDGES = cypher.query("associations.replace_observed")


def _auto(driver: neo4j.Driver, settings: Settings, statement: Any) -> None:
    """Statements with CALL ... IN TRANSACTIONS need an auto-commit transaction."""
    with driver.session(database=settings.neo4j_database) as session:
        session.run(statement).consume()


def _clear(driver: neo4j.Driver, settings: Settings) -> None:
    # Orders and edges first, in small transactions: clear_data alone (10,000 DETACH DELETEs
    # a transaction) exceeds the transaction memory pool on the full data.
    _auto(driver, settings, CLEAR_EDGES)
    _auto(driver, settings, CLEAR_ORDERS)
    _auto(driver, settings, CLEAR_DATA)


def _run(tx: neo4j.ManagedTransaction, statement: Any, params: dict[str, Any]) -> None:
    tx.run(statement, params).consume()


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def bench_ingest(driver: neo4j.Driver, settings: Settings, dataset: Path, runs: int) -> dict[str, Any]:
    db = settings.neo4j_database
    totals, writes = [], []
    lines = 0
    for _ in range(runs):
        _clear(driver, settings)
        marks: dict[str, float] = {}

        def progress(kind: str, done: int, total: int, marks: dict[str, float] = marks) -> None:
            # The first call opens the write phase; the last "orders" call closes it.
            now = time.perf_counter()
            marks.setdefault("write", now)
            marks[kind] = now

        started = time.perf_counter()
        result = ingest_paths(driver, db, [dataset], batch_size=settings.ingest_batch_size, progress=progress)
        seconds = time.perf_counter() - started
        totals.append(seconds)
        writes.append(marks["orders"] - marks["write"])
        lines = result.order_lines
        print(f"  ingest: {seconds:.1f} s ({lines} order lines)", flush=True)
    rerun, result = _timed(lambda: ingest_paths(driver, db, [dataset], batch_size=settings.ingest_batch_size))
    changed = sum(outcome.changed for outcome in result.outcomes.values())
    print(f"  no-op re-run: {rerun:.1f} s, {changed} changed", flush=True)
    return {"totals": totals, "writes": writes, "lines": lines, "rerun": rerun, "rerun_changed": changed}


def bench_naive_ingest(
    driver: neo4j.Driver, settings: Settings, dataset: Path, runs: int, sample: int
) -> dict[str, Any]:
    db = settings.neo4j_database
    _auto(driver, settings, CLEAR_ORDERS)
    data, _ = load_dataset([dataset], graph_lookup(driver, db))
    lines = [(order, line) for order in data.orders for line in order.lines]
    rates = []
    with driver.session(database=db) as session:
        for run in range(runs):
            chunk = lines[run * sample : (run + 1) * sample]

            def write_all(chunk: list[Any] = chunk) -> None:
                for order, line in chunk:
                    params = {
                        "order_id": order.id, "customer_id": order.customer_id, "ts": format_ts(order.ts),
                        "product_id": line.product_id, "qty": line.quantity, "unit_price": line.unit_price,
                    }  # fmt: skip
                    session.execute_write(_run, NAIVE_LINE, params)

            seconds, _ = _timed(write_all)
            rates.append(len(chunk) / seconds)
            print(f"  naive ingest: {len(chunk)} lines in {seconds:.1f} s", flush=True)
    _auto(driver, settings, CLEAR_ORDERS)
    return {"rates": rates, "sample": sample}


def _observe_timed(driver: neo4j.Driver, settings: Settings) -> tuple[float, float, Any]:
    """(total seconds, edges written per second, report) of one observe."""
    marks: dict[str, float] = {}

    def progress(step: str, done: int, total: int) -> None:
        marks.setdefault(step, time.perf_counter())

    started = time.perf_counter()
    report = observe(
        driver, settings.neo4j_database, min_support=settings.min_support_baskets,
        batch_size=settings.ingest_batch_size, progress=progress,
    )  # fmt: skip
    finished = time.perf_counter()
    return finished - started, report.edges / max(finished - marks["write"], 1e-9), report


def _new_order(driver: neo4j.Driver, settings: Settings, number: int) -> None:
    directory = RUN_DIR / f"new-order-{number}"
    directory.mkdir(exist_ok=True)
    order = 900000 + number
    (directory / "order_lines.csv").write_text(
        "order_id,customer_id,ts,product_id,quantity,unit_price\n"
        f"{order},,2011-09-30T12:00:00Z,85123A,1,2.55\n{order},,2011-09-30T12:00:00Z,22423,1,12.75\n"
    )
    ingest_paths(driver, settings.neo4j_database, [directory], batch_size=settings.ingest_batch_size)


def bench_observe(driver: neo4j.Driver, settings: Settings, runs: int) -> dict[str, Any]:
    """The first observe creates every edge; then, ``runs`` times, one new order arrives and observe
    rewrites what moved (in practice every product: N changed). No global clear is needed, and
    deleting 3 million edges costs more than writing them."""
    first, first_rate, report = _observe_timed(driver, settings)
    print(
        f"  observe from no edges: {first:.1f} s, {report.edges} edges ({first_rate:.0f} edges/s)", flush=True
    )
    noop, _, again = _observe_timed(driver, settings)
    noop_rewritten = again.created + again.updated + again.deleted
    print(f"  no-op observe: {noop:.1f} s, {noop_rewritten} products rewritten", flush=True)
    grown, grown_rates, rewritten = [], [], 0
    for number in range(runs):
        _new_order(driver, settings, number)
        seconds, rate, grown_report = _observe_timed(driver, settings)
        grown.append(seconds)
        grown_rates.append(rate)
        rewritten = grown_report.updated + grown_report.created + grown_report.deleted
        print(f"  observe after a new order: {seconds:.1f} s, {rewritten} products rewritten", flush=True)
    return {
        "first": first,
        "first_rate": first_rate,
        "report": report,
        "noop": noop,
        "noop_rewritten": noop_rewritten,
        "grown": grown,
        "grown_rates": grown_rates,
        "grown_rewritten": rewritten,
    }


def bench_naive_edges(driver: neo4j.Driver, settings: Settings, runs: int, sample: int) -> dict[str, Any]:
    """Per run: drop the edges of a few products, then create ``sample`` of them one per transaction."""
    db = settings.neo4j_database
    with driver.session(database=db) as session:
        counts = count_pairs(_read_baskets(session), settings.min_support_baskets)
    edges = edges_by_product(counts)
    n = dict(zip(counts.products, counts.item_counts.tolist(), strict=True))
    products = sorted(edges)
    rates = []
    with driver.session(database=db, notifications_min_severity="OFF") as session:
        for run in range(runs):
            chosen: list[str] = []
            for product in products[run * 97 :: 7]:  # a different spread of products each run
                chosen.append(product)
                if sum(len(edges[p]) for p in chosen) >= sample:
                    break
            cleared = [{"id": p, "hash": None, "count": n[p], "edges": []} for p in chosen]
            session.execute_write(_run, REPLACE_EDGES, {"rows": cleared, "baskets": counts.baskets})
            chunk = [(a, edge) for a in chosen for edge in edges[a]][:sample]

            def write_all(chunk: list[Any] = chunk) -> None:
                for a, (b, shared, last, nb) in chunk:
                    params = {
                        "source": a, "target": b, "baskets": shared, "support": shared / counts.baskets,
                        "confidence": shared / n[a], "lift": shared * counts.baskets / (n[a] * nb),
                        "last_seen": last,
                    }  # fmt: skip
                    session.execute_write(_run, NAIVE_EDGE, params)

            seconds, _ = _timed(write_all)
            rates.append(len(chunk) / seconds)
            print(f"  naive edges: {len(chunk)} edges in {seconds:.1f} s", flush=True)
    return {"rates": rates, "sample": sample}


def bench_counting_in_cypher(driver: neo4j.Driver, settings: Settings, runs: int) -> dict[str, Any]:
    """Rewrite the same sample of products' edges: counted in Python vs counted by Neo4j."""
    db = settings.neo4j_database
    with driver.session(database=db) as session:
        counts = count_pairs(_read_baskets(session), settings.min_support_baskets)
    edges = edges_by_product(counts)
    n = dict(zip(counts.products, counts.item_counts.tolist(), strict=True))
    sample = sorted(edges)[::20]
    size = sum(len(edges[p]) for p in sample)
    groups: list[list[str]] = [[]]
    for product in sample:
        if (
            sum(len(edges[p]) for p in groups[-1]) + len(edges[product]) > settings.ingest_batch_size
            and groups[-1]
        ):
            groups.append([])
        groups[-1].append(product)
    python_rates, cypher_rates = [], []
    with driver.session(database=db, notifications_min_severity="OFF") as session:
        for _ in range(runs):
            started = time.perf_counter()
            for group in groups:
                rows = [{"id": p, "hash": None, "count": n[p], "edges": edges[p]} for p in group]
                session.execute_write(_run, REPLACE_EDGES, {"rows": rows, "baskets": counts.baskets})
            python_rates.append(size / (time.perf_counter() - started))
            started = time.perf_counter()
            for group in groups:
                params = {
                    "ids": group,
                    "min_support": settings.min_support_baskets,
                    "baskets": counts.baskets,
                }
                session.execute_write(_run, IN_CYPHER, params)
            cypher_rates.append(size / (time.perf_counter() - started))
            print(
                f"  sample of {size} edges: python {python_rates[-1]:.0f}/s, cypher {cypher_rates[-1]:.0f}/s"
            )
    return {"python": python_rates, "cypher": cypher_rates, "edges": size, "products": len(sample)}


def _runs(values: list[float], unit: str, digits: int = 0) -> str:
    return ", ".join(f"{value:,.{digits}f}" for value in values) + f" {unit}"


def report(results: dict[str, Any], args: argparse.Namespace, conversion: float, version: str) -> str:
    ingest, naive = results["ingest"], results["naive_ingest"]
    observed, naive_edges, alt = results["observe"], results["naive_edges"], results["counting"]
    median = statistics.median
    end_to_end = ingest["lines"] / median(ingest["totals"])
    write_rate = ingest["lines"] / median(ingest["writes"])
    naive_rate = median(naive["rates"])
    edge_rate, naive_edge_rate = observed["first_rate"], median(naive_edges["rates"])
    r = observed["report"]
    s = get_settings()
    command = (
        f"`.venv/bin/python bench/bench_ingest.py --runs {args.runs} --naive-lines {args.naive_lines} "
        f"--naive-edges {args.naive_edges}`"
    )
    ingest_rows = [
        (
            "full ingest into an empty graph (read + validate + write)",
            f"{median(ingest['totals']):.1f} s",
            _runs(ingest["totals"], "s", 1),
        ),
        ("end to end", f"{end_to_end:,.0f} order lines/s", ""),
        ("write phase only (batched `UNWIND ... MERGE`)", f"{write_rate:,.0f} order lines/s", ""),
        (
            "naive: one transaction per order line",
            f"{naive_rate:,.0f} order lines/s",
            _runs(naive["rates"], "/s"),
        ),
        (
            "**ratio batched / naive** (end to end; write only)",
            f"**{end_to_end / naive_rate:.0f}x; {write_rate / naive_rate:.0f}x**",
            "",
        ),
        (
            f"no-op re-run over the full graph ({ingest['rerun_changed']} changed)",
            f"{ingest['rerun']:.1f} s",
            "",
        ),
    ]
    observe_rows = [
        (f"full materialisation from no edges: {r.pairs:,} pairs, {r.edges:,} edges (one run)",
         f"{observed['first']:.1f} s", ""),
        ("edge write rate, batched (a product's edges at a time)", f"{edge_rate:,.0f} edges/s", ""),
        ("naive: one transaction per edge", f"{naive_edge_rate:,.0f} edges/s",
         _runs(naive_edges["rates"], "/s")),
        ("**ratio batched / naive**", f"**{edge_rate / naive_edge_rate:.0f}x**", ""),
        (f"no-op re-run ({observed['noop_rewritten']} products rewritten)", f"{observed['noop']:.1f} s", ""),
        (f"after one new order: {observed['grown_rewritten']} products rewritten (N moved every support)",
         f"{median(observed['grown']):.1f} s", _runs(observed["grown"], "s", 1)),
        ("  its rate (each edge deleted, then created)", f"{median(observed['grown_rates']):,.0f} edges/s",
         _runs(observed["grown_rates"], "/s")),
        (f"count in Python + write, sample of {alt['products']} products ({alt['edges']:,} edges)",
         f"{median(alt['python']):,.0f} edges/s", _runs(alt["python"], "/s")),
        ("count in Cypher + write, same sample", f"{median(alt['cypher']):,.0f} edges/s",
         _runs(alt["cypher"], "/s")),
    ]  # fmt: skip

    def table(title: str, rows: list[tuple[str, str, str]]) -> str:
        body = "\n".join(f"| {label} | {value} | {runs} |" for label, value, runs in rows)
        return f"| {title} | median | runs |\n| --- | ---: | --- |\n{body}\n"

    return f"""## Ingest and observed associations

Command: {command}

Machine: {machine()}; Neo4j {version} Community, local (heap {s.neo4j_heap}, page cache
{s.neo4j_pagecache}), started by the benchmark. Data: the shipped Online Retail file, converted to
the documented format in {conversion:.1f} s: {ingest["lines"]:,} order lines, {r.baskets:,} orders.
Batch size {s.ingest_batch_size}; minimum support {s.min_support_baskets} baskets. Medians of
{args.runs} runs (each run listed). Other work shared the machine (load average at the end:
{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), so absolute times are pessimistic; ratios are measured
in the same run.

{table("ingest", ingest_rows)}
{table("observe (BOUGHT_WITH)", observe_rows)}
Counting co-purchases in Python (numpy over the exported baskets) and writing each product's edges
in batches is {median(alt["python"]) / median(alt["cypher"]):.1f}x faster than letting Neo4j count
them per product, so `observe` counts in Python. Writing the edges is the cost of `observe`, and it
grows with the number of edges, which the minimum support sets (docs/ingest.md).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-lines", type=int, default=2000)
    parser.add_argument("--naive-edges", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks_ingest.md")
    args = parser.parse_args()
    get_settings.cache_clear()
    settings = get_settings()
    conversion, data = _timed(lambda: load_online_retail(settings.dataset_path))
    dataset = RUN_DIR / "online-retail"
    write_input_files(data, dataset)
    print(f"converted in {conversion:.1f} s", flush=True)
    neo4j_server.start(settings)
    try:
        driver = connect(settings, wait_s=60)
        try:
            migrate(driver, settings.neo4j_database)
            records, _, _ = driver.execute_query(
                cypher.query("schema.server_version"), database_=settings.neo4j_database
            )
            version = str(records[0]["version"]) if records else "5.26"
            results = {}
            # Naive first, on products and customers only; then the batched runs fill the graph.
            _clear(driver, settings)
            ingest_paths(
                driver, settings.neo4j_database, [dataset / "products.jsonl", dataset / "customers.jsonl"],
                batch_size=settings.ingest_batch_size,
            )  # fmt: skip
            results["naive_ingest"] = bench_naive_ingest(
                driver, settings, dataset, args.runs, args.naive_lines
            )
            results["ingest"] = bench_ingest(driver, settings, dataset, args.runs)
            results["observe"] = bench_observe(driver, settings, args.runs)
            results["counting"] = bench_counting_in_cypher(driver, settings, args.runs)
            results["naive_edges"] = bench_naive_edges(driver, settings, args.runs, args.naive_edges)
        finally:
            driver.close()
    finally:
        neo4j_server.stop(settings)
    text = report(results, args, conversion, version)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
