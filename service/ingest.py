# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Ingest mutations: upsert products, add reviews, record orders.

They validate and write exactly as ``affinity ingest`` does: the input becomes the ingest records
(:mod:`ingest.records`), cross-record checks are :func:`ingest.validation.validate` (orders are all
or nothing, references must exist in the input or the graph), and the writes are
:func:`ingest.writer.write_to_graph` (batched, idempotent ``MERGE``: sending the same input twice
reports it unchanged). Nothing is written unless every record is valid; the problems come back as
a typed result naming each record by its position and field.

After products change, their embeddings and associations are refreshed by a background job when
the broker is reachable (``refreshJobId``); otherwise the next retrain picks them up (a warning says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import strawberry
from pydantic import ValidationError

from affinity.db import session_driver
from affinity.errors import AffinityError
from affinity.settings import Settings
from ingest.pipeline import graph_lookup
from ingest.readers import FileRead, Located, Problem
from ingest.records import MODELS, Record, RecordKind
from ingest.validation import validate
from ingest.writer import Outcome, write_to_graph
from service.auth import AdminScope
from service.context import ApiInfo
from service.errors import LimitExceededError
from stores import dispatch

__all__ = ["Mutation"]

#: Records one mutation call may carry (bigger loads belong to `affinity ingest` with files).
MAX_RECORDS = 5000


@strawberry.input(description="A product to create or update (same fields as the ingest products file).")
class ProductInput:
    id: strawberry.ID = strawberry.field(description="Product id (stock code), 1 to 200 characters.")
    title: str = strawberry.field(description="Title, 1 to 1000 characters.")
    description: str = strawberry.field(default="", description="Longer text.")
    price: float | None = strawberry.field(default=None, description="Unit price, at least 0.")
    tags: list[str] = strawberry.field(default_factory=list, description="Tag names.")
    category: list[str] = strawberry.field(
        default_factory=list, description='Category path from the root, e.g. ["Home", "Lighting"].'
    )
    categories: list[list[str]] = strawberry.field(
        default_factory=list,
        description='More category paths, for a product filed in several places: [["Kitchen"], ["Gifts"]].',
    )
    available: bool = strawberry.field(
        default=True, description="False: kept in the graph but never recommended (see setAvailability)."
    )


@strawberry.input(description="A customer referenced by orders or reviews.")
class CustomerInput:
    id: strawberry.ID = strawberry.field(description="Customer id.")
    country: str | None = strawberry.field(default=None, description="Country name.")


@strawberry.input(description="One line of an order; an order is the set of its lines.")
class OrderLineInput:
    order_id: strawberry.ID = strawberry.field(description="Order (invoice) id; its lines share it.")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Customer; null for a guest."
    )
    ts: datetime = strawberry.field(description="When the order was placed (a zone-less time is UTC).")
    product_id: strawberry.ID = strawberry.field(
        description="The product bought (must exist or be upserted first)."
    )
    quantity: int | None = strawberry.field(default=None, description="Units, at least 1; null when unknown.")
    unit_price: float | None = strawberry.field(
        default=None, description="Price per unit, at least 0; null when unknown (0 is a free item)."
    )


@strawberry.input(description="A customer's review of a product.")
class ReviewInput:
    id: strawberry.ID = strawberry.field(description="Review id.")
    product_id: strawberry.ID = strawberry.field(description="The reviewed product (must exist).")
    customer_id: strawberry.ID | None = strawberry.field(default=None, description="The author, when known.")
    rating: int = strawberry.field(description="Stars, 1 to 5.")
    text: str = strawberry.field(default="", description="What the customer wrote.")
    ts: datetime = strawberry.field(description="When it was written.")


@strawberry.type(description="One invalid input record.")
class InputProblem:
    argument: str = strawberry.field(description="The mutation argument holding the record.")
    index: int | None = strawberry.field(description="Position of the record in that argument, from 0.")
    field: str | None = strawberry.field(description="The offending field, when one is to blame.")
    message: str = strawberry.field(description="What is wrong.")


@strawberry.type(description="Counts of one kind of record written.")
class WriteCount:
    kind: str = strawberry.field(description="categories, products, customers, orders or reviews.")
    created: int = strawberry.field(description="New records.")
    updated: int = strawberry.field(description="Records that existed and changed.")
    unchanged: int = strawberry.field(description="Records that existed unchanged (nothing written).")


@strawberry.type(description="Everything was valid and has been written.")
class IngestSucceeded:
    counts: list[WriteCount] = strawberry.field(description="What was written, per kind of record.")
    refresh_job_id: strawberry.ID | None = strawberry.field(
        description="The job embedding the changed products (upsertProducts); poll job(id)."
    )
    warnings: list[str] = strawberry.field(description="Things that worked but deserve a look.")


@strawberry.type(description="Some records were invalid; nothing was written.")
class IngestRejected:
    message: str = strawberry.field(description="A summary.")
    problems: list[InputProblem] = strawberry.field(description="Every invalid record, with the reason.")


IngestResult = Annotated[
    IngestSucceeded | IngestRejected,
    strawberry.union("IngestResult", description="What an ingest mutation did."),
]


def _problem(problem: Problem) -> InputProblem:
    # Records are "located" by argument name and index; ingest's Problem calls them file and line.
    return InputProblem(
        argument=problem.file, index=problem.line, field=problem.field, message=problem.message
    )


def _read(argument: str, kind: RecordKind, rows: Sequence[dict[str, Any]]) -> FileRead:
    """The in-memory equivalent of reading a file: each row validated into its ingest record."""
    read = FileRead(path=Path(argument), kind=kind)
    for index, row in enumerate(rows):
        try:
            record: Record = MODELS[kind].model_validate(row)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                field = ".".join(str(part) for part in item["loc"]) or None
                read.problems.append(Problem(argument, index, field, item["msg"]))
            read.rejected += 1
            continue
        read.records.append(Located(record, argument, index))
    return read


def _check_size(*groups: Sequence[object]) -> None:
    total = sum(len(group) for group in groups)
    if total > MAX_RECORDS:
        raise LimitExceededError(
            f"{total} records in one mutation; the maximum is {MAX_RECORDS} "
            "(use `affinity ingest` for files)",
            limit="max_records",
            maximum=MAX_RECORDS,
        )


def _ingest(
    settings: Settings, reads: list[FileRead]
) -> tuple[dict[str, Outcome] | None, list[Problem], list[str]]:
    """Validate against the graph and write; runs in a worker thread with the sync driver."""
    with session_driver(settings) as driver:
        problems = [p for read in reads for p in read.problems]
        dataset = validate(reads, graph_lookup(driver, settings.neo4j_database))
        problems += dataset.problems
        if problems:
            return None, problems, []
        outcomes = write_to_graph(driver, settings.neo4j_database, dataset, settings.ingest_batch_size)
        products = [p.id for p in dataset.products]
    return outcomes, [], products


async def _run(info: ApiInfo, reads: list[FileRead], refresh: bool) -> IngestSucceeded | IngestRejected:
    settings = info.context.settings
    outcomes, problems, product_ids = await asyncio.to_thread(_ingest, settings, reads)
    if outcomes is None:
        return IngestRejected(
            message=f"{len(problems)} problem(s) in the input; nothing was written",
            problems=[_problem(p) for p in sorted(problems, key=lambda p: (p.file, p.line or 0))],
        )
    counts = [
        WriteCount(kind=kind, created=o.created, updated=o.updated, unchanged=o.unchanged)
        for kind, o in outcomes.items()
        if o.created or o.updated or o.unchanged
    ]
    warnings: list[str] = []
    job_id: str | None = None
    changed = outcomes.get("products", Outcome()).changed
    if refresh and changed:
        try:
            job_id = await asyncio.to_thread(
                dispatch.submit_product_refresh, settings, product_ids, info.context.request_id
            )
        except (AffinityError, ImportError) as error:
            warnings.append(f"products written, but not embedded yet ({error}); the next retrain embeds them")
    return IngestSucceeded(
        counts=counts, refresh_job_id=strawberry.ID(job_id) if job_id else None, warnings=warnings
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create or update products with their tags and category (idempotent), then refresh "
        "their embeddings in the background.",
        permission_classes=[AdminScope],
    )
    async def upsert_products(
        self,
        info: ApiInfo,
        products: Annotated[list[ProductInput], strawberry.argument(description="The products.")],
    ) -> IngestResult:
        _check_size(products)
        rows = [
            {
                "id": str(p.id),
                "title": p.title,
                "description": p.description,
                "price": p.price,
                "tags": p.tags,
                "category": p.category,
                "categories": p.categories,
                "available": p.available,
            }
            for p in products
        ]
        return await _run(info, [_read("products", RecordKind.products, rows)], refresh=True)

    @strawberry.mutation(
        description="Add (or update) reviews of existing products (idempotent by review id).",
        permission_classes=[AdminScope],
    )
    async def add_reviews(
        self,
        info: ApiInfo,
        reviews: Annotated[list[ReviewInput], strawberry.argument(description="The reviews.")],
        customers: Annotated[
            list[CustomerInput] | None, strawberry.argument(description="New customers the reviews name.")
        ] = None,
    ) -> IngestResult:
        customers = customers or []
        _check_size(reviews, customers)
        rows = [
            {
                "id": str(r.id),
                "product_id": str(r.product_id),
                "customer_id": str(r.customer_id) if r.customer_id is not None else None,
                "rating": r.rating,
                "text": r.text,
                "ts": r.ts,
            }
            for r in reviews
        ]
        reads = [_read("reviews", RecordKind.reviews, rows)]
        if customers:
            reads.append(_customers(customers))
        return await _run(info, reads, refresh=False)

    @strawberry.mutation(
        description="Record orders (all lines of an order together; an order with an invalid line is "
        "refused whole). Idempotent by order id.",
        permission_classes=[AdminScope],
    )
    async def record_orders(
        self,
        info: ApiInfo,
        lines: Annotated[list[OrderLineInput], strawberry.argument(description="Order lines.")],
        customers: Annotated[
            list[CustomerInput] | None, strawberry.argument(description="New customers the orders name.")
        ] = None,
    ) -> IngestResult:
        customers = customers or []
        _check_size(lines, customers)
        rows = [
            {
                "order_id": str(line.order_id),
                "customer_id": str(line.customer_id) if line.customer_id is not None else None,
                "ts": line.ts,
                "product_id": str(line.product_id),
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for line in lines
        ]
        reads = [_read("lines", RecordKind.order_lines, rows)]
        if customers:
            reads.append(_customers(customers))
        return await _run(info, reads, refresh=False)


def _customers(customers: Sequence[CustomerInput]) -> FileRead:
    rows = [{"id": str(c.id), "country": c.country} for c in customers]
    return _read("customers", RecordKind.customers, rows)
