"""Checks across records and files, and the validated data set they produce.

Per file, :mod:`ingest.readers` already checked syntax and types. Here:

- the same id given twice must carry the same values (an exact repeat is harmless and collapsed);
- the lines of one order must agree on customer and timestamp, and name each product once
  (or repeat the same line exactly);
- order lines and reviews must name products and customers that are in the input or already in the
  graph.

An order is all or nothing: if one of its lines is invalid the whole order is rejected, so a basket
is never stored with a product missing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast

from graph_schema import Label
from ingest.readers import FileRead, Located, Problem
from ingest.records import CustomerRecord, OrderLineRecord, ProductRecord, Record, RecordKind, ReviewRecord

__all__ = ["Dataset", "GraphLookup", "Order", "validate"]

# (Label.PRODUCT or Label.CUSTOMER, ids) -> the ids among them that already exist in the graph.
GraphLookup = Callable[[Label, set[str]], set[str]]

K = TypeVar("K", bound=Record)


@dataclass(frozen=True)
class Order:
    """An order assembled from its lines: one line per distinct product."""

    id: str
    customer_id: str | None
    ts: datetime
    lines: tuple[OrderLineRecord, ...]


@dataclass
class Dataset:
    """Valid records ready to write, with what was wrong with the rest."""

    products: list[ProductRecord] = field(default_factory=list)
    customers: list[CustomerRecord] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    reviews: list[ReviewRecord] = field(default_factory=list)
    # Every invalid record with the reason (file, line, field).
    problems: list[Problem] = field(default_factory=list)
    # Valid lines skipped only because another line of their order is invalid.
    skipped_with_order: list[Problem] = field(default_factory=list)
    read: Counter[RecordKind] = field(default_factory=Counter)
    rejected: Counter[RecordKind] = field(default_factory=Counter)

    @property
    def line_count(self) -> int:
        return sum(len(order.lines) for order in self.orders)


def _differing_fields(first: Record, other: Record) -> list[str]:
    left, right = first.model_dump(), other.model_dump()
    return [name for name in left if left[name] != right[name]]


def _distinct(
    located: Iterable[Located[K]], label: str, dataset: Dataset, kind: RecordKind
) -> tuple[dict[tuple[str, ...], Located[K]], set[tuple[str, ...]]]:
    """One record per key, and the keys given with conflicting values (rejected wherever they appear)."""
    groups: dict[tuple[str, ...], list[Located[K]]] = defaultdict(list)
    for item in located:
        groups[item.record.key].append(item)
    distinct: dict[tuple[str, ...], Located[K]] = {}
    conflicting: set[tuple[str, ...]] = set()
    for key, items in groups.items():
        first = items[0]
        conflicts = [item for item in items[1:] if item.record != first.record]
        if not conflicts:
            distinct[key] = first
            continue
        shown = "/".join(key)
        for item in items:
            others = [other for other in items if other is not item]
            fields = sorted(
                {name for other in others for name in _differing_fields(item.record, other.record)}
            )
            places = ", ".join(other.where for other in others[:3])
            dataset.problems.append(
                Problem(
                    item.file,
                    item.line,
                    ",".join(fields) or None,
                    f"duplicate {label} {shown!r} with conflicting values (also at {places})",
                )
            )
        dataset.rejected[kind] += len(items)
        conflicting.add(key)
    return distinct, conflicting


def _missing(wanted: set[str], in_input: set[str], label: Label, lookup: GraphLookup) -> set[str]:
    outside = wanted - in_input
    return outside - lookup(label, outside) if outside else set()


def _assemble_orders(
    lines: dict[tuple[str, ...], Located[OrderLineRecord]], dataset: Dataset
) -> list[tuple[str, list[Located[OrderLineRecord]], set[int]]]:
    """Group lines into orders, with the lines (by ``id()``) that disagree on customer or time."""
    by_order: dict[str, list[Located[OrderLineRecord]]] = defaultdict(list)
    for item in lines.values():
        by_order[item.record.order_id].append(item)
    orders = []
    for order_id, items in by_order.items():
        first = items[0]
        bad: set[int] = set()
        for item in items[1:]:
            for name in ("customer_id", "ts"):
                mine, theirs = getattr(item.record, name), getattr(first.record, name)
                if mine != theirs:
                    bad.update((id(item), id(first)))
                    dataset.problems.append(
                        Problem(
                            item.file,
                            item.line,
                            name,
                            f"lines of order {order_id!r} disagree: {theirs} at {first.where}, here {mine}",
                        )
                    )
        orders.append((order_id, items, bad))
    return orders


def validate(reads: Sequence[FileRead], lookup: GraphLookup) -> Dataset:
    """Check ``reads`` together; ``lookup`` answers which referenced ids already exist in the graph."""
    dataset = Dataset()
    located: dict[RecordKind, list[Located[Record]]] = defaultdict(list)
    for read in reads:
        dataset.problems.extend(read.problems)
        dataset.rejected[read.kind] += read.rejected
        dataset.read[read.kind] += read.rejected + len(read.records)
        located[read.kind].extend(read.records)

    products, _ = _distinct(
        _typed(located[RecordKind.products], ProductRecord), "product", dataset, RecordKind.products
    )
    customers, _ = _distinct(
        _typed(located[RecordKind.customers], CustomerRecord), "customer", dataset, RecordKind.customers
    )
    reviews, _ = _distinct(
        _typed(located[RecordKind.reviews], ReviewRecord), "review", dataset, RecordKind.reviews
    )
    lines, conflicting_lines = _distinct(
        _typed(located[RecordKind.order_lines], OrderLineRecord),
        "order line",
        dataset,
        RecordKind.order_lines,
    )
    orders = _assemble_orders(lines, dataset)
    # An order with a conflicting repeated line is rejected whole, like any order with a bad line.
    broken_orders = {key[0] for key in conflicting_lines}

    # References: to products and customers in this input or already in the graph.
    product_ids = {key[0] for key in products}
    customer_ids = {key[0] for key in customers}
    all_lines = [item for _, items, _ in orders for item in items]
    unknown_products = _missing(
        {item.record.product_id for item in all_lines}
        | {item.record.product_id for item in reviews.values()},
        product_ids,
        Label.PRODUCT,
        lookup,
    )
    unknown_customers = _missing(
        {item.record.customer_id for item in all_lines if item.record.customer_id}
        | {item.record.customer_id for item in reviews.values() if item.record.customer_id},
        customer_ids,
        Label.CUSTOMER,
        lookup,
    )

    def reference_problems(item: Located[OrderLineRecord] | Located[ReviewRecord]) -> list[Problem]:
        found = []
        if item.record.product_id in unknown_products:
            found.append(
                Problem(
                    item.file,
                    item.line,
                    "product_id",
                    f"unknown product {item.record.product_id!r} (not in the input files, not in the graph)",
                )
            )
        if item.record.customer_id in unknown_customers:
            found.append(
                Problem(
                    item.file,
                    item.line,
                    "customer_id",
                    f"unknown customer {item.record.customer_id!r} "
                    "(not in the input files, not in the graph)",
                )
            )
        return found

    for order_id, items, bad in orders:
        for item in items:
            found = reference_problems(item)
            if found:
                bad.add(id(item))
                dataset.problems.extend(found)
        if not bad and order_id not in broken_orders:
            first = items[0].record
            dataset.orders.append(
                Order(order_id, first.customer_id, first.ts, tuple(item.record for item in items))
            )
            continue
        dataset.rejected[RecordKind.order_lines] += len(items)
        for item in items:
            if id(item) not in bad:
                dataset.skipped_with_order.append(
                    Problem(
                        item.file,
                        item.line,
                        None,
                        f"skipped with order {order_id!r}: another line is invalid",
                    )
                )
    for review in reviews.values():
        found = reference_problems(review)
        if found:
            dataset.problems.extend(found)
            dataset.rejected[RecordKind.reviews] += 1
        else:
            dataset.reviews.append(review.record)
    dataset.products = [item.record for item in products.values()]
    dataset.customers = [item.record for item in customers.values()]
    dataset.problems.sort(key=lambda problem: (problem.file, problem.line or 0, problem.field or ""))
    return dataset


def _typed(items: list[Located[Record]], model: type[K]) -> list[Located[K]]:
    # Files are read per kind, so every record of a kind has that kind's model.
    return [cast(Located[K], item) for item in items if isinstance(item.record, model)]
