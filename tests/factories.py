"""Test data: input files in the documented ingest format (a seeded synthetic catalogue, a small
consistent shop, a raw Online Retail extract), ingested into Neo4j; and the active edges read back."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import neo4j

from affinity.settings import Settings
from ingest.pipeline import ingest_paths
from tests.statements import TEST_CYPHER
from training.params import TrainParams
from training.snapshot import CatalogueSnapshot
from training.synthetic import make_synthetic_snapshot

ACTIVE_EDGES = TEST_CYPHER.query("active_edges")
ACTIVE_RECOMMENDED = TEST_CYPHER.query("active_recommended")


def active_edges(driver: neo4j.Driver, db: str) -> set[tuple[str, str, str, float]]:
    """The edges the active model version serves, as (source, target, kind, score)."""
    records = driver.execute_query(ACTIVE_EDGES, database_=db).records
    return {(r["source"], r["target"], r["kind"], r["score"]) for r in records}


def active_recommended(driver: neo4j.Driver, db: str) -> set[tuple[str, str, float, int, str]]:
    """The customer recommendations the active version serves, as (customer, product, score, rank,
    reason)."""
    records = driver.execute_query(ACTIVE_RECOMMENDED, database_=db).records
    return {(r["customer"], r["product"], r["score"], r["rank"], r["reason"]) for r in records}


def write_snapshot_input_files(snapshot: CatalogueSnapshot, directory: Path) -> Path:
    """The documented input files (products, customers, order lines) of ``snapshot``, in ``directory``."""
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
    write_snapshot_input_files(snapshot, directory)
    ingest_paths(driver, database, [directory], batch_size=2000)
    return snapshot


def make_dataset(directory: Path, *, products: int = 20, orders: int = 30, lines: int = 3) -> Path:
    """A small consistent shop: products with tags and categories, customers, orders, reviews."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "products.jsonl").open("w") as out:
        for i in range(products):
            record = {
                "id": f"P{i:04d}",
                "title": f"Product {i}",
                "description": "plain" if i % 2 else "",
                "price": 1.5 + i,
                "tags": [f"colour:c{i % 3}", f"type:t{i % 4}"],
                "category": ["Home", f"Shelf {i % 2}"],
            }
            out.write(json.dumps(record) + "\n")
    (directory / "customers.csv").write_text(
        "id,country\n" + "".join(f"C{i:03d},Country {i % 4}\n" for i in range(10))
    )
    with (directory / "order_lines.csv").open("w") as out:
        out.write("order_id,customer_id,ts,product_id,quantity,unit_price\n")
        for o in range(orders):
            customer = "" if o % 5 == 0 else f"C{o % 10:03d}"  # every fifth order is a guest's
            for k in range(lines):
                product = (o + 7 * k) % products
                ts = f"2011-03-{1 + o % 28:02d}T10:{o % 60:02d}:00Z"
                out.write(f"O{o:05d},{customer},{ts},P{product:04d},{k + 1},2.5\n")
    (directory / "reviews.jsonl").write_text(
        json.dumps({"id": "R1", "product_id": "P0001", "customer_id": "C001", "rating": 4, "text": "Sturdy",
                    "ts": "2011-04-01T00:00:00Z"}) + "\n"
        + json.dumps({"id": "R2", "product_id": "P0001", "rating": 2, "text": "Chipped",
                      "ts": "2011-04-02T00:00:00Z"}) + "\n"
    )  # fmt: skip
    return directory


def run_ingest(driver: neo4j.Driver, settings: Settings, *paths: Path, **options: Any) -> Any:
    """``ingest_paths`` into the settings' database, in small batches (7) unless told otherwise."""
    return ingest_paths(
        driver, settings.neo4j_database, list(paths), batch_size=options.pop("batch_size", 7), **options
    )


#: A hand-made Online Retail extract: repeated lines, a guest, a cancellation, postage and carriage,
#: a gift voucher, a damaged and an untitled line, a bad-debt adjustment.
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
RAW = (
    HEADER
    + "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
    + "536365,71053,WHITE  METAL LANTERN ,6,2010-12-01 08:26:00,3.39,17850,United Kingdom\n"
    + "536365,71053,WHITE METAL LANTERN,2,2010-12-01 08:27:00,4.00,17850,United Kingdom\n"  # repeated line
    + "536366,85123a,WHITE HANGING HEART T-LIGHT HOLDER,1,2010-12-02 09:00:00,2.95,,United Kingdom\n"  # guest
    + "536367,85123A,CREAM HANGING HEART T-LIGHT HOLDER,1,2010-12-03 09:00:00,3.15,17850,France\n"
    + "C536368,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,2010-12-03 10:00:00,2.55,17850,United Kingdom\n"
    + "536369,POST,POSTAGE,1,2010-12-03 11:00:00,18.00,12345,Germany\n"
    + "536369,23444,Next Day Carriage,1,2010-12-03 11:00:00,15.00,12345,Germany\n"
    + "536369,DCGSSGIRL,GIRLS PARTY BAG,1,2010-12-03 11:00:00,3.29,12345,Germany\n"
    + "536369,gift_0001_20,Dotcomgiftshop Gift Voucher £20.00,1,2010-12-03 11:00:00,16.67,12345,Germany\n"
    + "536370,21730,damaged,-5,2010-12-04 11:00:00,0,,United Kingdom\n"
    + "536371,21730,,3,2010-12-04 11:00:00,1.00,,United Kingdom\n"
    + "A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,,United Kingdom\n"
)


def online_retail_raw_file(directory: Path) -> Path:
    """``RAW`` gzipped, as the Online Retail download comes, at ``directory/raw.csv.gz``."""
    path = directory / "raw.csv.gz"
    path.write_bytes(gzip.compress(RAW.encode("utf-8")))
    return path


def small_train_params(**changes: Any) -> TrainParams:
    """Training parameters small enough for a test to fit a model in seconds on a CPU."""
    base: dict[str, Any] = {
        "encoder": "sage",
        "hidden_channels": 16,
        "out_channels": 8,
        "epochs": 3,
        "steps_per_epoch": 3,
        "batch_pairs": 128,
        "num_negatives": 64,
        "max_neighbors": 8,
        "half_life_grid": (30.0,),
        "device": "cpu",
    }
    return TrainParams(**{**base, **changes})
