"""Test data: a seeded synthetic catalogue written in the documented ingest format, and loaded."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import neo4j

from ingest.pipeline import ingest_paths
from training.snapshot import CatalogueSnapshot
from training.synthetic import make_synthetic_snapshot


def write_dataset(snapshot: CatalogueSnapshot, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "products.jsonl").open("w") as handle:
        for p in snapshot.products:
            record = {
                "id": p.id,
                "title": p.title,
                "description": p.description,
                "price": p.price if p.price is not None else 1.0,
                "tags": list(p.tags),
                "category": list(p.category),
            }
            handle.write(json.dumps(record) + "\n")
    customers = sorted({b.customer_id for b in snapshot.baskets if b.customer_id})
    with (directory / "customers.jsonl").open("w") as handle:
        for customer in customers:
            handle.write(json.dumps({"id": customer, "country": "United Kingdom"}) + "\n")
    with (directory / "order_lines.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "customer_id", "ts", "product_id", "quantity", "unit_price"])
        for b in snapshot.baskets:
            for pid in b.product_ids:
                writer.writerow([b.order_id, b.customer_id or "", b.ts.isoformat(), pid, 1, 1.5])
    return directory


def load_synthetic(
    driver: neo4j.Driver,
    database: str,
    directory: Path,
    n_products: int = 200,
    n_baskets: int = 1500,
    seed: int = 0,
) -> CatalogueSnapshot:
    snapshot = make_synthetic_snapshot(n_products=n_products, n_baskets=n_baskets, seed=seed)
    write_dataset(snapshot, directory)
    ingest_paths(driver, database, [directory], batch_size=2000)
    return snapshot
