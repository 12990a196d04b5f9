"""Adapter: the raw Online Retail CSV (UCI, Dec 2010 - Sep 2011) onto the documented input format.

What is dropped, and why (counts for the shipped file are in ``docs/ingest.md``):

- invoices that are not six digits: ``C...`` are cancellations, ``A...`` are bad-debt adjustments;
- lines with quantity <= 0 (returns, stock adjustments) or unit price <= 0 (free samples, write-offs);
- codes that are not products. A product code is five digits with an optional letter suffix
  (``85123A``; the suffix is a variant, and its case varies in the source, so codes are upper-cased:
  ``15056bl`` and ``15056BL`` name the same parasol). Everything else is postage, fees, vouchers or
  manual bookings: ``POST`` (postage), ``DOT`` (dotcom postage), ``C2`` (carriage), ``M``/``m`` (manual),
  ``D`` (discount), ``S`` (samples), ``B`` (bad debt), ``BANK CHARGES``, ``AMAZONFEE``, ``CRUK``
  (charity commission), ``PADS`` (a 0.001 GBP bookkeeping line), ``gift_0001_*`` (gift vouchers) and
  ``DCGS*`` (one-off marketplace listings, several named "ebay"). One five-digit code is a fee as well:
  ``23444`` "Next Day Carriage" (:data:`FEE_PRODUCT_CODES`).
- lines without a description left after cleaning.

What is derived:

- a product's title is its most frequent cleaned description (stripped, spaces collapsed; ties go
  to the alphabetically first), other descriptions seen for the code become its description;
- its price is the median unit price of its kept lines; tags and a 2-level category come from
  :func:`ingest.tagging.classify`;
- an order is an invoice; its time is the earliest time of its lines; repeated lines of one product
  in one invoice are merged (quantities summed, unit price quantity-weighted);
- a customer's country is the most frequent country of their kept lines (ties: the latest);
  rows without a customer id are guest orders (no customer).

Source times carry no zone; they are read as UTC (the retailer is in the UK).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from ingest.records import CustomerRecord, OrderLineRecord, ProductRecord, format_ts
from ingest.tagging import classify

__all__ = [
    "FEE_PRODUCT_CODES",
    "OUTPUT_FILES",
    "PRODUCT_CODE",
    "ConversionReport",
    "OnlineRetail",
    "OrderLineRow",
    "load_online_retail",
    "write_input_files",
]

PRODUCT_CODE = re.compile(r"^\d{5}[A-Z]{0,2}$")
FEE_PRODUCT_CODES = frozenset({"23444"})  # "Next Day Carriage"
_INVOICE = re.compile(r"^\d{6}$")
_SPACES = re.compile(r"\s+")
_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)

OUTPUT_FILES = ("products.jsonl", "customers.jsonl", "order_lines.csv.gz")
ORDER_LINE_COLUMNS = ("order_id", "customer_id", "ts", "product_id", "quantity", "unit_price")


@dataclass
class ConversionReport:
    rows: int = 0
    kept_rows: int = 0
    dropped: Counter[str] = field(default_factory=Counter)


# (order_id, customer_id or None, ts, product_id, quantity, unit_price)
OrderLineRow = tuple[str, str | None, datetime, str, int, float]


@dataclass
class OnlineRetail:
    """The data set in the documented format, in memory."""

    products: list[ProductRecord]
    customers: list[CustomerRecord]
    # Plain tuples, sorted by (ts, order_id, product_id): 355k pydantic objects cost seconds to build,
    # and writing the file does not need them.
    order_line_rows: list[OrderLineRow]
    report: ConversionReport

    @cached_property
    def order_lines(self) -> list[OrderLineRecord]:
        """The order lines as records (built on first use)."""
        return [
            OrderLineRecord.model_construct(
                order_id=order_id,
                customer_id=customer_id,
                ts=ts,
                product_id=product_id,
                quantity=quantity,
                unit_price=unit_price,
            )
            for order_id, customer_id, ts, product_id, quantity, unit_price in self.order_line_rows
        ]


def _clean(description: str) -> str:
    return _SPACES.sub(" ", description).strip()


def _drop_reason(invoice: str, code: str, quantity: int, price: float, description: str) -> str | None:
    if not _INVOICE.match(invoice):
        return "cancellation" if invoice.startswith("C") else "adjustment invoice"
    if quantity <= 0:
        return "quantity <= 0"
    if price <= 0:
        return "unit price <= 0"
    if not PRODUCT_CODE.match(code) or code in FEE_PRODUCT_CODES:
        return "not a product code"
    if not description:
        return "no description"
    return None


@dataclass
class _Line:
    quantity: int = 0
    amount: float = 0.0


def _read_rows(path: Path) -> list[list[str]]:
    with (
        gzip.open(path, "rt", encoding="utf-8", newline="")
        if path.name.endswith(".gz")
        else path.open(encoding="utf-8", newline="") as handle
    ):
        reader = csv.reader(handle)
        header = next(reader)
        if tuple(header) != _COLUMNS:
            raise ValueError(f"{path}: unexpected header {header}; expected {list(_COLUMNS)}")
        return list(reader)


def load_online_retail(path: Path) -> OnlineRetail:
    """Read the raw CSV (``settings.dataset_path``) and return it in the documented format."""
    report = ConversionReport()
    descriptions: dict[str, Counter[str]] = defaultdict(Counter)
    prices: dict[str, list[float]] = defaultdict(list)
    countries: dict[str, Counter[str]] = defaultdict(Counter)
    last_country: dict[str, tuple[datetime, str]] = {}
    order_ts: dict[str, datetime] = {}
    order_customer: dict[str, str | None] = {}
    lines: dict[tuple[str, str], _Line] = defaultdict(_Line)
    times: dict[str, datetime] = {}  # Lines of an invoice share a time: parse each once.

    for invoice, raw_code, raw_description, raw_quantity, raw_ts, raw_price, customer, country in _read_rows(
        path
    ):
        report.rows += 1
        code, description = raw_code.strip().upper(), _clean(raw_description)
        quantity, price = int(raw_quantity), float(raw_price)
        reason = _drop_reason(invoice, code, quantity, price, description)
        if reason:
            report.dropped[reason] += 1
            continue
        report.kept_rows += 1
        ts = times.get(raw_ts) or times.setdefault(raw_ts, datetime.fromisoformat(raw_ts).replace(tzinfo=UTC))
        descriptions[code][description] += 1
        prices[code].append(price)
        line = lines[(invoice, code)]
        line.quantity += quantity
        line.amount += quantity * price
        order_ts[invoice] = min(ts, order_ts.get(invoice, ts))
        customer_id = customer.strip() or None
        order_customer.setdefault(invoice, customer_id)
        if customer_id:
            countries[customer_id][country.strip()] += 1
            if customer_id not in last_country or last_country[customer_id][0] <= ts:
                last_country[customer_id] = (ts, country.strip())

    products = []
    for code in sorted(descriptions):
        ranked = sorted(descriptions[code].items(), key=lambda item: (-item[1], item[0]))
        title = ranked[0][0]
        others = [text for text, _ in ranked[1:] if text.upper() != title.upper()]
        classification = classify(title)
        products.append(
            ProductRecord(
                id=code,
                title=title,
                description=" / ".join(others),
                price=round(statistics.median(prices[code]), 4),
                tags=classification.tags,
                tag_source="rules",
                category=classification.category,
            )
        )
    customers = []
    for customer_id in sorted(countries):
        ranked_countries = countries[customer_id].most_common()
        best = ranked_countries[0][1]
        tied = {name for name, count in ranked_countries if count == best}
        latest = last_country[customer_id][1]
        chosen = latest if latest in tied else sorted(tied)[0]
        customers.append(CustomerRecord(id=customer_id, country=chosen or None))
    order_line_rows: list[OrderLineRow] = [
        (
            invoice,
            order_customer[invoice],
            order_ts[invoice],
            code,
            line.quantity,
            round(line.amount / line.quantity, 4),
        )
        for (invoice, code), line in sorted(lines.items(), key=lambda item: (order_ts[item[0][0]], item[0]))
    ]
    return OnlineRetail(
        products=products, customers=customers, order_line_rows=order_line_rows, report=report
    )


def _jsonl(records: list[ProductRecord] | list[CustomerRecord]) -> bytes:
    lines = (json.dumps(record.model_dump(mode="json"), ensure_ascii=False) for record in records)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _order_lines_csv(rows: list[OrderLineRow]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_LINE_COLUMNS)
    for order_id, customer_id, ts, product_id, quantity, unit_price in rows:
        writer.writerow((order_id, customer_id or "", format_ts(ts), product_id, quantity, repr(unit_price)))
    # mtime=0: the same data gives byte-identical files.
    return gzip.compress(buffer.getvalue().encode("utf-8"), mtime=0)


def write_input_files(data: OnlineRetail, directory: Path) -> list[Path]:
    """Write ``data`` as the documented files (:data:`OUTPUT_FILES`) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    contents = (_jsonl(data.products), _jsonl(data.customers), _order_lines_csv(data.order_line_rows))
    paths = []
    for name, content in zip(OUTPUT_FILES, contents, strict=True):
        path = directory / name
        temporary = path.with_name(f".{name}.tmp")
        temporary.write_bytes(content)
        temporary.replace(path)  # Atomic: a reader never sees half a file.
        paths.append(path)
    return paths
