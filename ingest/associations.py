r"""Observed associations: ``(:Product)-[:BOUGHT_WITH]->(:Product)`` from co-purchases.

A basket is one order's set of distinct products; N is the number of baskets and ``n(a)`` the number
of baskets holding ``a``. For two products sharing ``n(a, b) >= min_support`` baskets, one edge per
direction is stored (so ``(a)-[:BOUGHT_WITH]->(b)`` reads "with a, customers bought b"):

.. math::

    \text{support} = \frac{n(a,b)}{N}, \quad
    \text{confidence}(a \to b) = \frac{n(a,b)}{n(a)}, \quad
    \text{lift} = \frac{n(a,b)\,N}{n(a)\,n(b)}

with ``baskets = n(a, b)`` and ``last_seen`` the time of the latest shared basket.

How (measured in ``bench/bench_ingest.py``): the baskets are read in one query, pairs are counted
in Python with numpy (a few seconds for 16.6M pair occurrences), and each product's outgoing edges
are replaced in batched transactions. Each product stores ``bought_with_hash``, a digest of the
facts its edges are computed from (N, ``n(a)``, and per neighbour ``n(a, b)``, ``last_seen``,
``n(b)``); only products whose digest changed are rewritten. A second run therefore writes nothing,
and a killed run is completed by the next one (edges and digest commit together). New orders change
N, hence the support and lift of every pair: the re-count is cheap, and the rewrite covers exactly
the products whose numbers moved; edges that fall below the threshold disappear with the rewrite.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import neo4j
import numpy as np
import numpy.typing as npt

import cypher
from ingest.records import content_hash
from ingest.writer import Progress, chunks

__all__ = ["ObserveReport", "PairCounts", "count_pairs", "edges_by_product", "observe"]

BASKETS = cypher.query("associations.baskets")
OBSERVED_STATE = cypher.query("associations.observed_state")
REPLACE_EDGES = cypher.query("associations.replace_observed")

# (other product id, shared baskets, last shared basket in epoch seconds, baskets of the other product)
Edge = tuple[str, int, int, int]


@dataclass(frozen=True)
class PairCounts:
    """Co-occurrence counts of the pairs (a < b by index) that reach the threshold."""

    products: list[str]  # index -> product id
    item_counts: npt.NDArray[np.int64]  # index -> n(a)
    baskets: int  # N
    first: npt.NDArray[np.int64]  # index of a, per pair
    second: npt.NDArray[np.int64]  # index of b, per pair
    shared: npt.NDArray[np.int64]  # n(a, b), per pair
    last_seen: npt.NDArray[np.int64]  # epoch seconds, per pair
    pairs_seen: int  # pairs sharing at least one basket, before the threshold


@dataclass
class ObserveReport:
    baskets: int = 0
    pairs: int = 0
    edges: int = 0
    min_support: int = 0
    created: int = 0  # products whose edges were written for the first time
    updated: int = 0  # products whose edges were rewritten
    deleted: int = 0  # products whose edges all disappeared
    unchanged: int = 0
    seconds: float = 0.0


def count_pairs(baskets: Iterable[tuple[int, Sequence[str]]], min_support: int) -> PairCounts:
    """Count every pair of distinct products per basket; ``baskets`` yields (epoch seconds, product ids)."""
    listed = [(ts, sorted(set(items))) for ts, items in baskets if items]
    products = sorted({item for _, items in listed for item in items})
    index = {product: position for position, product in enumerate(products)}
    size = len(products)
    item_counts = np.zeros(size, dtype=np.int64)
    keys: list[npt.NDArray[np.int64]] = []
    times: list[npt.NDArray[np.int64]] = []
    triangles: dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]] = {}
    # Sorting baskets by time makes the last occurrence of a pair (after a stable sort) its latest.
    for ts, items in sorted(listed, key=lambda basket: basket[0]):
        members = np.fromiter((index[item] for item in items), dtype=np.int64, count=len(items))
        item_counts[members] += 1
        if len(items) < 2:
            continue
        rows, cols = triangles.get(len(items)) or triangles.setdefault(
            len(items), np.triu_indices(len(items), 1)
        )
        keys.append(members[rows] * size + members[cols])
        times.append(np.full(len(rows), ts, dtype=np.int64))
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return PairCounts(products, item_counts, len(listed), empty, empty, empty, empty, 0)
    all_keys = np.concatenate(keys)
    order = np.argsort(all_keys, kind="stable")
    sorted_keys = all_keys[order]
    ends = np.append(np.flatnonzero(np.diff(sorted_keys)), len(sorted_keys) - 1)
    starts = np.insert(ends[:-1] + 1, 0, 0)
    shared = ends - starts + 1
    last_seen = np.concatenate(times)[order][ends]
    unique_keys = sorted_keys[ends]
    keep = shared >= min_support
    return PairCounts(
        products=products,
        item_counts=item_counts,
        baskets=len(listed),
        first=unique_keys[keep] // size,
        second=unique_keys[keep] % size,
        shared=shared[keep],
        last_seen=last_seen[keep],
        pairs_seen=len(unique_keys),
    )


def edges_by_product(counts: PairCounts) -> dict[str, list[Edge]]:
    """Outgoing edges of every product (both directions of each pair), neighbours sorted by id."""
    out: dict[str, list[Edge]] = {}
    ids, n = counts.products, counts.item_counts
    pairs = zip(
        counts.first.tolist(),
        counts.second.tolist(),
        counts.shared.tolist(),
        counts.last_seen.tolist(),
        strict=True,
    )
    for a, b, shared, last in pairs:
        out.setdefault(ids[a], []).append((ids[b], shared, last, int(n[b])))
        out.setdefault(ids[b], []).append((ids[a], shared, last, int(n[a])))
    for edges in out.values():
        edges.sort()
    return out


def _digest(baskets: int, own_count: int, edges: list[Edge]) -> str:
    return content_hash({"n": baskets, "count": own_count, "edges": edges})


def _read_baskets(session: neo4j.Session) -> list[tuple[int, list[str]]]:
    return [(int(record["ts"]), list(record["products"])) for record in session.run(BASKETS)]


def _replace(tx: neo4j.ManagedTransaction, rows: list[dict[str, Any]], baskets: int) -> None:
    tx.run(REPLACE_EDGES, rows=rows, baskets=baskets).consume()


def observe(
    driver: neo4j.Driver,
    database: str,
    *,
    min_support: int,
    batch_size: int,
    progress: Progress | None = None,
) -> ObserveReport:
    """Recount co-purchases and rewrite the BOUGHT_WITH edges of the products whose numbers changed."""
    started = time.perf_counter()
    step = progress or (lambda name, done, total: None)
    report = ObserveReport(min_support=min_support)
    with driver.session(database=database, notifications_min_severity="OFF") as session:
        baskets = _read_baskets(session)
        counts = count_pairs(baskets, min_support)
        edges = edges_by_product(counts)
        report.baskets, report.pairs = counts.baskets, len(counts.shared)
        report.edges = 2 * report.pairs
        step("count", counts.baskets, counts.baskets)
        stored = {record["id"]: record["hash"] for record in session.run(OBSERVED_STATE)}
        count_of = dict(zip(counts.products, counts.item_counts.tolist(), strict=True))
        rows = []
        for product, previous in stored.items():
            mine = edges.get(product, [])
            digest = _digest(counts.baskets, count_of.get(product, 0), mine) if mine else None
            if digest == previous:
                report.unchanged += 1
                continue
            if previous is None:
                report.created += 1
            elif digest is None:
                report.deleted += 1
            else:
                report.updated += 1
            rows.append({"id": product, "hash": digest, "count": count_of.get(product, 0), "edges": mine})
        step("write", 0, len(rows))
        written = 0
        # A product's edge count is its weight: one transaction holds about batch_size edges.
        for batch in chunks(rows, [max(len(row["edges"]), 1) for row in rows], batch_size):
            session.execute_write(_replace, batch, counts.baskets)
            written += len(batch)
            step("write", written, len(rows))
    report.seconds = time.perf_counter() - started
    return report
