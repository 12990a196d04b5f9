"""The learning core's input: a plain, immutable snapshot of the catalogue and its baskets.

Everything in :mod:`training` works on a :class:`CatalogueSnapshot`, never on a database session or on
raw files, so that the same code trains from the documented dataset files (tests, benchmarks, the
``affinity eval`` report) and from Neo4j (the retrain pipeline). These builders make one:

* :func:`from_rows` takes plain rows shaped like the documented ingest records; ``affinity eval``
  reads a dataset directory with :mod:`ingest`'s readers and validation and hands the valid records
  here, so every layout ``affinity ingest`` accepts is read, with its checks and its error messages.
  :func:`from_dataset_dir` is a quick unchecked reader of the fixed file names, for tests and benchmarks.
* :func:`from_neo4j` pages through the graph with the named ``export_*`` statements of ``cypher/``
  (keyset pagination on ``id``, one round trip per batch, never one per node).

A basket is one order's set of *distinct* products (``DESIGN.md``); quantities and prices do not
enter the association model.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import cypher
from training.aliases import Progress, no_progress

__all__ = [
    "Basket",
    "CatalogueSnapshot",
    "ProductText",
    "from_dataset_dir",
    "from_neo4j",
    "from_rows",
    "product_from_record",
    "to_datetime",
]

EXPORT_PRODUCTS = cypher.query("products.export_page")
EXPORT_BASKETS = cypher.query("orders.export_baskets")
EXPORT_REVIEWS = cypher.query("products.export_reviews")

#: ``progress(step, done, total)``; ``total`` is ``0`` when it is not known in advance.


@dataclass(frozen=True, slots=True)
class ProductText:
    """What the model may know about a product without any basket: its text and tags.

    ``category`` is the category path from the root to the leaf (``("Home", "Candles")``).
    ``review_texts`` are the texts of its reviews, if any (they enter the text embedding).
    """

    id: str
    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    review_texts: tuple[str, ...] = ()
    price: float | None = None


@dataclass(frozen=True, slots=True)
class Basket:
    """One order: its distinct products, its time (timezone-aware, UTC) and its customer (if known)."""

    order_id: str
    customer_id: str | None
    ts: datetime
    product_ids: tuple[str, ...]


@dataclass(slots=True)
class CatalogueSnapshot:
    """Products and baskets at one moment; the unit every training and evaluation function takes.

    ``products`` fixes the product index used everywhere downstream: product ``i`` of every array,
    embedding matrix and score row is ``products[i]``. Baskets are kept sorted by time.
    """

    products: list[ProductText]
    baskets: list[Basket]
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.baskets.sort(key=lambda b: (b.ts, b.order_id))
        self._index = {p.id: i for i, p in enumerate(self.products)}
        if len(self._index) != len(self.products):
            raise ValueError("duplicate product ids in the snapshot")

    @property
    def index(self) -> dict[str, int]:
        """Product id -> position in :attr:`products`."""
        return self._index

    @property
    def product_ids(self) -> list[str]:
        return [p.id for p in self.products]

    def time_range(self) -> tuple[datetime, datetime]:
        """First and last basket time; raises ``ValueError`` on a snapshot without baskets."""
        if not self.baskets:
            raise ValueError("the snapshot has no baskets")
        return self.baskets[0].ts, self.baskets[-1].ts

    def with_baskets(self, baskets: list[Basket]) -> CatalogueSnapshot:
        """The same catalogue with other baskets (used to cut time windows)."""
        return CatalogueSnapshot(products=self.products, baskets=list(baskets))

    def between(self, start: datetime | None, end: datetime | None) -> list[Basket]:
        """Baskets with ``start <= ts < end`` (an open bound when ``None``)."""
        return [b for b in self.baskets if (start is None or b.ts >= start) and (end is None or b.ts < end)]

    def summary(self) -> dict[str, Any]:
        """Sizes for logs and reports."""
        first, last = self.time_range() if self.baskets else (None, None)
        return {
            "products": len(self.products),
            "baskets": len(self.baskets),
            "basket_lines": sum(len(b.product_ids) for b in self.baskets),
            "first_ts": first.isoformat() if first else None,
            "last_ts": last.isoformat() if last else None,
        }


def to_datetime(value: object) -> datetime:
    """Read a timestamp as a timezone-aware UTC ``datetime``.

    Accepts ISO 8601 strings (``2011-08-01 10:00:00``, ``...T...Z``, with an offset), ``datetime``,
    ``date``, epoch seconds, and the Neo4j driver's temporal types (anything with ``to_native()``).
    A naive time is read as UTC.
    """
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float):
        result = datetime.fromtimestamp(float(value), tz=UTC)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        result = datetime.fromisoformat(text)
    else:
        raise ValueError(f"cannot read {value!r} as a timestamp")
    if result.tzinfo is None:
        return result.replace(tzinfo=UTC)
    return result.astimezone(UTC)


def _as_tuple(value: object, separator: str = "|") -> tuple[str, ...]:
    """A list field: a JSON list, or a CSV cell flattened with ``separator`` (``docs/ingest.md``)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(separator) if part.strip())
    if isinstance(value, Iterable):
        out: list[str] = []
        for item in value:
            if isinstance(item, dict):  # {"name": ...} or {"id": ..., "name": ...}
                item = item.get("name") or item.get("id")
            if item is not None and str(item).strip():
                out.append(str(item).strip())
        return tuple(out)
    return (str(value),)


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        candidate = directory / name
        if candidate.exists():
            return candidate
    return None


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with _open_text(path) as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                if isinstance(record, dict):
                    yield record


def _read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a ``.jsonl`` or ``.csv`` file (either optionally ``.gz``) as dicts."""
    if ".jsonl" in path.suffixes or ".ndjson" in path.suffixes:
        yield from _read_jsonl(path)
        return
    with _open_text(path) as handle:
        yield from csv.DictReader(handle)


def product_from_record(record: Mapping[str, Any], reviews: Sequence[str] = ()) -> ProductText:
    """A :class:`ProductText` from a products-file record or an export row (``id`` required)."""
    price = record.get("price")
    if isinstance(price, str):
        price = price.strip() or None
    return ProductText(
        id=str(record["id"]),
        title=str(record.get("title") or ""),
        description=str(record.get("description") or ""),
        tags=_as_tuple(record.get("tags"), "|"),
        category=_as_tuple(record.get("category") or record.get("category_path"), ">"),
        review_texts=tuple(reviews),
        price=float(price) if price not in (None, "") else None,
    )


def from_rows(
    products: Iterable[Mapping[str, Any]],
    order_lines: Iterable[Mapping[str, Any]],
    reviews: Iterable[Mapping[str, Any]] = (),
    *,
    max_reviews_per_product: int = 5,
    progress: Progress = no_progress,
) -> CatalogueSnapshot:
    """A snapshot from plain rows shaped like the documented records (``docs/ingest.md``).

    ``products``: ``id``, ``title``, ``description``, ``price``, ``tags``, ``category`` (lists, or the
    CSV-flattened strings); ``order_lines``: ``order_id``, ``customer_id``, ``ts``, ``product_id``;
    ``reviews``: ``product_id``, ``text``, ``ts`` (the newest ``max_reviews_per_product`` texts per
    product are kept, as in :func:`from_neo4j`). A basket takes its time and customer from its first
    line; lines of products not among ``products`` are skipped. Reading and checking files is the
    caller's job (the CLI reads them with :mod:`ingest`'s readers and validation).
    """
    collected: dict[str, list[tuple[datetime, str]]] = {}
    for record in reviews:
        text = str(record.get("text") or "").strip()
        if text:
            ts = to_datetime(record["ts"]) if record.get("ts") else datetime.min.replace(tzinfo=UTC)
            collected.setdefault(str(record["product_id"]), []).append((ts, text))
    # Newest first and at most max_reviews_per_product, as the Neo4j export does.
    texts = {
        pid: [text for _, text in sorted(items, key=lambda item: item[0], reverse=True)][
            :max_reviews_per_product
        ]
        for pid, items in collected.items()
    }

    catalogue = [product_from_record(record, texts.get(str(record["id"]), ())) for record in products]
    progress("read products", len(catalogue), len(catalogue))
    known = {p.id for p in catalogue}

    orders: dict[str, tuple[str | None, datetime, dict[str, None]]] = {}
    for row in order_lines:
        product_id = str(row["product_id"])
        if product_id not in known:
            continue
        order_id = str(row["order_id"])
        entry = orders.get(order_id)
        if entry is None:
            customer = str(row.get("customer_id") or "").strip() or None
            entry = (customer, to_datetime(row["ts"]), {})
            orders[order_id] = entry
        entry[2][product_id] = None  # insertion-ordered set
    baskets = [
        Basket(order_id=order_id, customer_id=customer, ts=ts, product_ids=tuple(items))
        for order_id, (customer, ts, items) in orders.items()
    ]
    progress("read baskets", len(baskets), len(baskets))
    return CatalogueSnapshot(products=catalogue, baskets=baskets)


def from_dataset_dir(
    path: Path | str, max_reviews_per_product: int = 5, progress: Progress = no_progress
) -> CatalogueSnapshot:
    """Read the fixed file names ``products.jsonl`` (or ``.csv``), ``order_lines.csv`` and, when
    present, ``reviews.jsonl`` (or ``.csv``) in ``path``, each optionally gzipped, without validation.

    A quick reader for tests and benchmarks on files this project wrote. It does not read every layout
    ``affinity ingest`` accepts (JSON Lines order lines, several files per kind) and does not check
    the records: ``affinity eval --data`` reads a directory with :mod:`ingest`'s readers and
    validation instead (``cli.offline_eval.read_dataset``). Rows go through :func:`from_rows`.
    """
    directory = Path(path)
    products_path = _find(directory, "products.jsonl") or _find(directory, "products.csv")
    lines_path = _find(directory, "order_lines.csv")
    if products_path is None or lines_path is None:
        raise FileNotFoundError(f"{directory} needs products.jsonl and order_lines.csv (see docs/ingest.md)")
    reviews_path = _find(directory, "reviews.jsonl") or _find(directory, "reviews.csv")
    return from_rows(
        _read_records(products_path),
        _read_records(lines_path),
        _read_records(reviews_path) if reviews_path is not None else (),
        max_reviews_per_product=max_reviews_per_product,
        progress=progress,
    )


def _paged(
    driver: Any,
    database: str,
    statement: str,
    batch_size: int,
    params: dict[str, Any],
) -> Iterator[list[dict[str, Any]]]:
    """Keyset pagination: each batch returns rows ordered by ``key``; the next starts after the last."""
    after = ""
    while True:
        # routing "r" (neo4j.RoutingControl.READ): in a cluster the export reads from a follower or
        # read replica, not the leader; the driver's bookmarks keep it after the pipeline's writes.
        records, _, _ = driver.execute_query(
            statement,
            parameters_={**params, "after": after, "batch_size": batch_size},
            database_=database,
            routing_="r",
        )
        rows = [record.data() for record in records]
        if not rows:
            return
        yield rows
        after = str(rows[-1]["key"])
        if len(rows) < batch_size:
            return


def from_neo4j(
    driver: Any,
    database: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_size: int = 5000,
    max_reviews_per_product: int = 5,
    progress: Progress = no_progress,
) -> CatalogueSnapshot:
    """Export the catalogue and the baskets in ``[since, until)`` from Neo4j in batches.

    Uses ``products.export_page`` (products with tags and category path), ``products.export_reviews``
    (the newest ``max_reviews_per_product`` review texts per product) and ``orders.export_baskets``
    (orders with their distinct products and customer), each paged by id with ``batch_size`` rows
    per round trip. ``driver`` is a ``neo4j.Driver``; reads run with ``execute_query`` against
    ``database``.
    """
    reviews: dict[str, list[str]] = {}
    for rows in _paged(
        driver, database, EXPORT_REVIEWS, batch_size, {"max_reviews": max_reviews_per_product}
    ):
        for row in rows:
            texts = [str(t) for t in row["texts"] if t]
            if texts:
                reviews[str(row["key"])] = texts

    products: list[ProductText] = []
    for rows in _paged(driver, database, EXPORT_PRODUCTS, batch_size, {}):
        for row in rows:
            record = dict(row)
            record["id"] = row["key"]
            products.append(product_from_record(record, reviews.get(str(row["key"]), ())))
        progress("export products", len(products), 0)

    # Order.ts is a DATETIME (docs/ingest.md); the driver sends aware datetimes as DATETIME too.
    params = {
        "since": since.astimezone(UTC) if since else None,
        "until": until.astimezone(UTC) if until else None,
    }
    baskets: list[Basket] = []
    known = {p.id for p in products}
    for rows in _paged(driver, database, EXPORT_BASKETS, batch_size, params):
        for row in rows:
            items = tuple(dict.fromkeys(str(p) for p in row["product_ids"] if str(p) in known))
            if not items or row["ts"] is None:
                continue
            customer = row.get("customer_id")
            baskets.append(
                Basket(
                    order_id=str(row["key"]),
                    customer_id=str(customer) if customer is not None else None,
                    ts=to_datetime(row["ts"]),
                    product_ids=items,
                )
            )
        progress("export baskets", len(baskets), 0)
    if since is not None or until is not None:  # the statement filters too; this guards any ts type
        baskets = [b for b in baskets if (since is None or b.ts >= since) and (until is None or b.ts < until)]
    return CatalogueSnapshot(products=products, baskets=baskets)
