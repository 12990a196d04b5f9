"""Write a validated :class:`~ingest.validation.Dataset` into Neo4j: batched, idempotent, resumable.

Each batch is one ``UNWIND $rows AS row MERGE ...`` statement in one managed write transaction
(``execute_write``: the driver may retry it, which is safe because it merges). Every node written
by ingest carries ``ingest_hash``, a digest of the record that produced it. Before a kind is
written its stored hashes are read, and rows whose hash is already stored are counted unchanged
and never sent; the statements compare the hash again, so a row that changed meanwhile is still
written. That is how a second run reports "unchanged" and writes nothing. Kinds are written in
dependency order (categories, products, customers, orders, reviews), and a node's edges commit with
its hash, so after a crash the re-run finds each committed batch unchanged and completes the rest:
the graph converges to the one a clean run gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

import neo4j

import cypher
from graph_schema import Label
from ingest.records import CustomerRecord, ProductRecord, ReviewRecord, content_hash, format_ts
from ingest.validation import Dataset, Order

__all__ = ["KINDS", "Outcome", "Progress", "category_id", "category_rows", "write_to_graph"]

UPSERT_CATEGORIES = cypher.query("ingest.upsert_categories")
UPSERT_PRODUCTS = cypher.query("ingest.upsert_products")
UPSERT_CUSTOMERS = cypher.query("ingest.upsert_customers")
UPSERT_ORDERS = cypher.query("ingest.upsert_orders")
UPSERT_REVIEWS = cypher.query("ingest.upsert_reviews")
STORED_HASHES = cypher.query("ingest.stored_hashes")

# TAGGED edges ingest may remove when a product's tags change; others (e.g. a model's) are kept.
OWNED_TAG_SOURCES = ["catalogue", "rules"]

KINDS = ("categories", "products", "customers", "orders", "reviews")

# progress(kind, records of this kind done so far, records of this kind in total)
Progress = Callable[[str, int, int], None]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated


@dataclass
class _Batches:
    statement: LiteralString
    rows: list[dict[str, Any]]
    # The node label, for looking up stored hashes (None: always send every row).
    label: Label | None = None


def _slug(segment: str) -> str:
    return _NOT_SLUG.sub("-", segment.lower()).strip("-") or segment.strip().lower()


def category_id(path: Sequence[str]) -> str:
    """``("Home Decor", "Storage")`` -> ``"home-decor/storage"``: readable, and one per path."""
    return "/".join(_slug(segment) for segment in path)


def _add_path(rows: dict[str, dict[str, Any]], leaf_path: Sequence[str]) -> None:
    for depth in range(1, len(leaf_path) + 1):
        path = leaf_path[:depth]
        key = category_id(path)
        if key not in rows:
            parent = category_id(path[:-1]) if depth > 1 else None
            rows[key] = {"id": key, "name": path[-1], "parent_id": parent, "depth": depth}


def category_rows(products: Sequence[ProductRecord]) -> list[dict[str, Any]]:
    """Every category on the products' paths, parents first; the first spelling of a name wins."""
    rows: dict[str, dict[str, Any]] = {}
    for product in products:
        for path_of_leaf in product.category_paths:
            _add_path(rows, path_of_leaf)
    ordered = sorted(rows.values(), key=lambda row: (row["depth"], row["id"]))
    for row in ordered:
        row["hash"] = content_hash({"name": row["name"], "parent_id": row["parent_id"]})
        del row["depth"]
    return ordered


def _product_row(product: ProductRecord) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "price": product.price,
        "tags": list(product.tags),
        "tag_source": product.tag_source,
        "category_id": category_id(product.category) if product.category else None,
    }
    # Only a product filed under more paths than `category` adds them to its digest, so the hashes of
    # products stored before `categories` existed still match and a re-ingest leaves them unchanged.
    more = [category_id(path) for path in product.category_paths if path != product.category]
    if more:
        row["more_category_ids"] = more
    # Only a product marked unavailable adds the field to its digest, so the hashes of products
    # stored before the field existed still match and a re-ingest leaves them unchanged.
    if not product.available:
        row["available"] = False
    row["hash"] = content_hash(row)
    row["available"] = product.available
    row["category_ids"] = [category_id(path) for path in product.category_paths]
    row.pop("more_category_ids", None)
    return row


def _customer_row(customer: CustomerRecord) -> dict[str, Any]:
    row: dict[str, Any] = {"id": customer.id, "country": customer.country}
    row["hash"] = content_hash(row)
    return row


def _order_row(order: Order) -> dict[str, Any]:
    lines = sorted(
        (
            {"product_id": line.product_id, "qty": line.quantity, "unit_price": line.unit_price}
            for line in order.lines
        ),
        key=lambda line: str(line["product_id"]),
    )
    row: dict[str, Any] = {
        "id": order.id,
        "customer_id": order.customer_id,
        "ts": format_ts(order.ts),
        "lines": lines,
    }
    row["hash"] = content_hash(row)
    return row


def _review_row(review: ReviewRecord) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": review.id,
        "product_id": review.product_id,
        "customer_id": review.customer_id,
        "rating": review.rating,
        "text": review.text,
        "ts": format_ts(review.ts),
    }
    row["hash"] = content_hash(row)
    return row


def chunks(rows: list[dict[str, Any]], sizes: list[int], budget: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive batches whose total size stays within ``budget`` (a bigger single row goes alone)."""
    batch: list[dict[str, Any]] = []
    total = 0
    for row, size in zip(rows, sizes, strict=True):
        if batch and total + size > budget:
            yield batch
            batch, total = [], 0
        batch.append(row)
        total += size
    if batch:
        yield batch


def _write_batch(
    tx: neo4j.ManagedTransaction, statement: LiteralString, rows: list[dict[str, Any]], extra: dict[str, Any]
) -> tuple[int, int]:
    record = tx.run(statement, rows=rows, **extra).single(strict=True)
    return int(record["created"]), int(record["updated"])


def _stored_hashes(session: neo4j.Session, label: Label, ids: list[str]) -> dict[str, str | None]:
    result = session.run(STORED_HASHES, label=label.value, ids=ids)
    return {record["id"]: record["hash"] for record in result}


def write_to_graph(
    driver: neo4j.Driver,
    database: str,
    dataset: Dataset,
    batch_size: int,
    progress: Progress | None = None,
) -> dict[str, Outcome]:
    """Write ``dataset`` in batches of at most ``batch_size`` rows (orders: order lines)."""
    plan: dict[str, _Batches] = {
        "categories": _Batches(UPSERT_CATEGORIES, category_rows(dataset.products)),
        "products": _Batches(
            UPSERT_PRODUCTS, [_product_row(item) for item in dataset.products], Label.PRODUCT
        ),
        "customers": _Batches(
            UPSERT_CUSTOMERS, [_customer_row(item) for item in dataset.customers], Label.CUSTOMER
        ),
        "orders": _Batches(UPSERT_ORDERS, [_order_row(item) for item in dataset.orders], Label.ORDER),
        "reviews": _Batches(UPSERT_REVIEWS, [_review_row(item) for item in dataset.reviews], Label.REVIEW),
    }
    extra: dict[str, dict[str, Any]] = {"products": {"owned_sources": OWNED_TAG_SOURCES}}
    outcomes = {kind: Outcome() for kind in KINDS}
    with driver.session(database=database, notifications_min_severity="OFF") as session:
        for kind in KINDS:
            batches, outcome = plan[kind], outcomes[kind]
            total = len(batches.rows)
            if progress is not None:
                progress(kind, 0, total)
            rows = batches.rows
            if batches.label is not None and rows:
                # Rows already stored with the same hash never leave Python; the statement checks the
                # hash again, so a concurrent writer cannot make this skip a needed write.
                stored = _stored_hashes(session, batches.label, [row["id"] for row in rows])
                rows = [row for row in rows if stored.get(row["id"], "") != row["hash"]]
                outcome.unchanged += total - len(rows)
                if progress is not None and total > len(rows):
                    progress(kind, outcome.unchanged, total)
            # An order weighs its lines in the batch budget.
            sizes = [len(row["lines"]) for row in rows] if kind == "orders" else [1] * len(rows)
            # Categories go in one transaction: few rows, and a child needs its parent committed first.
            budget = max(sum(sizes), 1) if kind == "categories" else batch_size
            for batch in chunks(rows, sizes, budget):
                created, updated = session.execute_write(
                    _write_batch, batches.statement, batch, extra.get(kind, {})
                )
                outcome.created += created
                outcome.updated += updated
                outcome.unchanged += len(batch) - created - updated
                if progress is not None:
                    progress(kind, outcome.created + outcome.updated + outcome.unchanged, total)
    return outcomes
