"""The documented input format (``docs/ingest.md``) as pydantic models, one per record kind.

A shop exports four kinds of records, as CSV or JSON Lines (optionally gzipped):

- :class:`ProductRecord`: id, title, description, price, tags, category paths, availability
- :class:`CustomerRecord`: id, country
- :class:`OrderLineRecord`: one line of an order: order id, customer id (empty for a guest), timestamp,
  product id, quantity and unit price (each optional: unknown is not zero). An order is the set of
  its lines.
- :class:`ReviewRecord`: id, product id, customer id (optional), rating 1-5, text, timestamp

Models hold values only; reading files, locating problems and cross-record checks live in
:mod:`ingest.readers` and :mod:`ingest.validation`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

__all__ = [
    "CSV_LIST_SEPARATOR",
    "CSV_PATH_SEPARATOR",
    "MODELS",
    "CustomerRecord",
    "Identifier",
    "OrderLineRecord",
    "ProductRecord",
    "Record",
    "RecordKind",
    "ReviewRecord",
    "content_hash",
    "format_ts",
]

# In CSV, list-valued fields are flattened: tags as ``a|b|c``, a category path as ``Home > Lighting``.
CSV_LIST_SEPARATOR = "|"
CSV_PATH_SEPARATOR = ">"

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RecordKind(StrEnum):
    """What a file holds; named by the file's name (``products.jsonl``, ``order_lines.csv.gz``)."""

    products = "products"
    customers = "customers"
    order_lines = "order_lines"
    reviews = "reviews"


def _as_utc(value: datetime) -> datetime:
    # A timestamp without a zone is read as UTC (documented); every stored time is UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00: a ValueError is a validation problem
        raise ValueError("the time is out of range once converted to UTC") from None


def format_ts(value: datetime) -> str:
    """The one text form of a time: ISO 8601 in UTC with a ``Z`` (what Cypher ``datetime()`` reads)."""
    # isoformat, not strftime: "%Y" does not pad years before 1000 ("999-01-01"), which datetime() refuses.
    text = _as_utc(value).replace(tzinfo=None).isoformat(timespec="microseconds")
    return text.removesuffix(".000000") + "Z"


def content_hash(payload: dict[str, Any]) -> str:
    """A stable digest of what a record writes, so a re-run can tell unchanged records apart."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).hexdigest()


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    kind: ClassVar[RecordKind]
    # Columns a CSV header must have; the others may be absent (their defaults apply).
    required_columns: ClassVar[tuple[str, ...]]
    # CSV cells split into lists.
    list_columns: ClassVar[dict[str, str]] = {}

    @property
    def key(self) -> tuple[str, ...]:
        """The identity of the record: two records with the same key must agree on every field."""
        raise NotImplementedError


class ProductRecord(_Record):
    """A product of the catalogue. ``category`` is a path from the root, e.g. ``["Home", "Lighting"]``."""

    kind: ClassVar[RecordKind] = RecordKind.products
    required_columns: ClassVar[tuple[str, ...]] = ("id", "title")
    list_columns: ClassVar[dict[str, str]] = {"tags": CSV_LIST_SEPARATOR, "category": CSV_PATH_SEPARATOR}

    id: Identifier
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    description: Text = ""
    price: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    tags: tuple[Name, ...] = ()
    # Who said so: "catalogue" (the shop's own tags) or "rules" (derived by the Online Retail adapter).
    tag_source: Literal["catalogue", "rules"] = "catalogue"
    category: Annotated[tuple[Name, ...], Field(max_length=10)] = ()
    # More category paths for a product filed in several places (a mug in Kitchen and in Gifts). CSV:
    # paths separated by "|", each "Root > Leaf"; JSON: a list of paths (lists, or "Root > Leaf").
    categories: Annotated[
        tuple[Annotated[tuple[Name, ...], Field(min_length=1, max_length=10)], ...], Field(max_length=20)
    ] = ()
    # False: still in the graph (its orders keep teaching the models) but never recommended.
    available: bool = True

    @field_validator("categories", mode="before")
    @classmethod
    def _category_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [path for path in value.split(CSV_LIST_SEPARATOR) if path.strip()]
        if isinstance(value, list | tuple):
            return [path.split(CSV_PATH_SEPARATOR) if isinstance(path, str) else path for path in value]
        return value

    @property
    def category_paths(self) -> tuple[tuple[str, ...], ...]:
        """Every category path of the product, ``category`` first, without repeats."""
        paths = ([self.category] if self.category else []) + list(self.categories)
        return tuple(dict.fromkeys(tuple(path) for path in paths))

    @field_validator("tags")
    @classmethod
    def _distinct_sorted_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        # Tag order carries no meaning; a canonical order keeps the content hash stable.
        return tuple(sorted(set(tags)))

    @property
    def key(self) -> tuple[str, ...]:
        return (self.id,)


class CustomerRecord(_Record):
    kind: ClassVar[RecordKind] = RecordKind.customers
    required_columns: ClassVar[tuple[str, ...]] = ("id",)

    id: Identifier
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return (self.id,)


class OrderLineRecord(_Record):
    """One line of an order. Lines of one order must agree on ``customer_id`` and ``ts``."""

    kind: ClassVar[RecordKind] = RecordKind.order_lines
    required_columns: ClassVar[tuple[str, ...]] = ("order_id", "ts", "product_id")

    order_id: Identifier
    customer_id: Identifier | None = None
    ts: datetime
    product_id: Identifier
    # Unknown (None) is not zero: a shop that does not export them leaves them out, and a free item
    # (unit_price 0) stays a free item.
    quantity: Annotated[int, Field(gt=0)] | None = None
    unit_price: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None

    @field_validator("ts")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @property
    def key(self) -> tuple[str, ...]:
        return (self.order_id, self.product_id)


class ReviewRecord(_Record):
    kind: ClassVar[RecordKind] = RecordKind.reviews
    required_columns: ClassVar[tuple[str, ...]] = ("id", "product_id", "rating", "ts")

    id: Identifier
    product_id: Identifier
    customer_id: Identifier | None = None
    rating: Annotated[int, Field(ge=1, le=5)]
    text: Text = ""
    ts: datetime

    @field_validator("ts")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @property
    def key(self) -> tuple[str, ...]:
        return (self.id,)


Record = ProductRecord | CustomerRecord | OrderLineRecord | ReviewRecord

MODELS: dict[RecordKind, type[ProductRecord | CustomerRecord | OrderLineRecord | ReviewRecord]] = {
    RecordKind.products: ProductRecord,
    RecordKind.customers: CustomerRecord,
    RecordKind.order_lines: OrderLineRecord,
    RecordKind.reviews: ReviewRecord,
}
