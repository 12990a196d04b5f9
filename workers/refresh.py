"""The incremental path: new or edited products get an embedding and associations within seconds.

No retrain: the product's text is embedded, stored (the vector index serves it at once), passed
through the active version's inductive encoder from its content alone, and ranked by the hybrid's
cold head against the trained catalogue. Its learned edges are written under the active version,
replacing the ones it had. Other products' lists keep their trained neighbours until the next
retrain. The embedder and the active model are cached per worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import neo4j

import cypher
from affinity.settings import Settings
from stores import versions
from training.artifact import TrainedModel
from training.embedding import TextEmbedder, product_text, text_hash
from training.scoring import score_new_product
from training.snapshot import ProductText, product_from_record
from workers.runner import artefact_dir

PRODUCTS_BY_IDS = cypher.query("products.export_by_ids")
WRITE_EMBEDDINGS = cypher.query("embedding.write_embeddings")
REPLACE_ASSOCIATIONS = cypher.query("associations.replace_learned")


@lru_cache(maxsize=1)
def _embedder(model: str, device: str, batch_size: int, cache_dir: Path) -> TextEmbedder:
    return TextEmbedder(model, device=device, batch_size=batch_size, cache_dir=cache_dir)


@lru_cache(maxsize=2)
def _model(directory: str) -> TrainedModel:
    return TrainedModel.load(directory)


def load_products(driver: neo4j.Driver, database: str, product_ids: list[str]) -> list[ProductText]:
    records = driver.execute_query(PRODUCTS_BY_IDS, ids=product_ids, database_=database).records
    products = []
    for record in records:
        row = record.data()
        row["id"] = row["key"]
        products.append(product_from_record(row, row.get("review_texts") or ()))
    return products


def refresh_products(
    driver: neo4j.Driver,
    settings: Settings,
    product_ids: list[str],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Embed ``product_ids`` and give them learned associations under the active version.

    Each product's edges are replaced in their own transaction and ``progress(done, total)`` reports
    after each commit, so an interrupted refresh shows how far it got; running it again rewrites
    every product's list whole (the replace deletes the old edges first).
    """
    database = settings.neo4j_database
    products = load_products(driver, database, product_ids)
    missing = sorted(set(product_ids) - {p.id for p in products})
    if missing:
        raise LookupError(f"unknown product ids: {', '.join(missing[:10])}")
    embedder = _embedder(
        settings.text_model, settings.device, settings.embedding_batch_size, settings.text_model_dir
    )
    texts = [product_text(p) for p in products]
    vectors = embedder.embed(texts)
    driver.execute_query(
        WRITE_EMBEDDINGS,
        rows=[
            {"id": p.id, "embedding": v.tolist(), "text_hash": text_hash(t, settings.text_model)}
            for p, t, v in zip(products, texts, vectors, strict=True)
        ],
        model=settings.text_model,
        database_=database,
    )
    active = versions.active(driver, database)
    if active is None:
        return {"embedded": len(products), "associated": 0, "version": None}
    model = _model(str(artefact_dir(settings, active.id)))
    edges = 0
    for done, (product, vector) in enumerate(zip(products, vectors, strict=True), start=1):
        rows = [r.as_dict() for r in score_new_product(model, product, settings.top_k, text_embedding=vector)]
        driver.execute_query(
            REPLACE_ASSOCIATIONS, source=product.id, rows=rows, version=active.id, database_=database
        )
        edges += len(rows)
        if progress is not None:
            progress(done, len(products))
    return {"embedded": len(products), "associated": edges, "version": active.id}
