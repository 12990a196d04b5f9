"""A new product gets exactly the associations batch scoring gives it, for every kind of product record
a client sends (title only; title and tags; title and description).

Two cases: a catalogue product that never sold (``upsertProducts`` before the retrain: batch scoring of
the trained catalogue), and a product the model has never seen (``upsertProducts`` after it: the batch
path is the same weights rebased onto the catalogue with the product added, as the write step would
score it)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from graph_schema import AssociationKind
from tests.factories import small_train_params
from training.artifact import TrainedModel
from training.fit import fit
from training.interactions import BasketArrays
from training.params import HybridConfig
from training.rebase import rebase
from training.scoring import AssociationRow, score_complements, score_new_product
from training.snapshot import CatalogueSnapshot, ProductText
from training.split import TimeSplit
from training.synthetic import make_synthetic_snapshot

K = 10
BASE = make_synthetic_snapshot(90, 800, n_themes=5, seed=21)
TEMPLATE = BASE.products[4]
RECORDS = {
    "title only": ProductText("UNSOLD", TEMPLATE.title),
    "title and tags": ProductText("UNSOLD", TEMPLATE.title, tags=TEMPLATE.tags),
    "title and description": ProductText("UNSOLD", TEMPLATE.title, description="a gift set for the season"),
}
PARAMS = small_train_params(selection_windows=0, hybrid=HybridConfig(steps=20, n_candidates=15, members=1))


def _embed(product: ProductText) -> np.ndarray:
    """A deterministic stand-in for the text model: the same text always gives the same unit vector."""
    text = " ".join([product.title, product.description or "", *product.tags])
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(16).astype(np.float32)
    return v / np.linalg.norm(v)


def _snapshot(extra: ProductText | None) -> tuple[CatalogueSnapshot, np.ndarray]:
    products = [*BASE.products, *([extra] if extra else [])]
    snap = CatalogueSnapshot(products=products, baskets=list(BASE.baskets))
    return snap, np.stack([_embed(p) for p in products])


def _complements(rows: list[AssociationRow], source: str) -> list[tuple[str, float, int]]:
    return [
        (r.target_id, round(r.score, 6), r.rank)
        for r in rows
        if r.source_id == source and r.kind is AssociationKind.COMPLEMENT
    ]


def _batch(model: TrainedModel, source: str) -> list[tuple[str, float, int]]:
    return _complements([r for block in score_complements(model, K) for r in block], source)


def _raw(model: TrainedModel, source: str, rows: list[AssociationRow]) -> tuple[np.ndarray, np.ndarray]:
    batch = {
        r.target_id: r.raw_score
        for block in score_complements(model, K)
        for r in block
        if r.source_id == source
    }
    mine = {r.target_id: r.raw_score for r in rows if r.kind is AssociationKind.COMPLEMENT}
    keys = sorted(batch)
    return np.array([batch[t] for t in keys]), np.array([mine.get(t, np.nan) for t in keys])


@pytest.mark.parametrize("record", list(RECORDS), ids=list(RECORDS))
def test_an_unsold_catalogue_product_scores_as_in_the_batch(record: str) -> None:
    product = RECORDS[record]
    snap, text = _snapshot(product)
    model = fit(snap, text, PARAMS, TimeSplit.for_training(snap.time_range()[1], 30))
    rows = score_new_product(model, product, K, text_embedding=text[-1])
    incremental = _complements(rows, product.id)
    assert len(incremental) == K and all(t != product.id for t, _, _ in incremental)
    assert incremental == _batch(model, product.id)
    batch_raw, incremental_raw = _raw(model, product.id, rows)
    assert np.allclose(batch_raw, incremental_raw, atol=1e-5)


@pytest.fixture(scope="module")
def trained() -> tuple[TrainedModel, CatalogueSnapshot]:
    snap, text = _snapshot(None)
    return fit(snap, text, PARAMS, TimeSplit.for_training(snap.time_range()[1], 30)), snap


@pytest.mark.parametrize("record", list(RECORDS), ids=list(RECORDS))
def test_a_product_added_after_training_scores_as_the_batch_would(
    record: str, trained: tuple[TrainedModel, CatalogueSnapshot]
) -> None:
    model, _ = trained
    product = RECORDS[record]
    rows = score_new_product(model, product, K, text_embedding=_embed(product))
    incremental = _complements(rows, product.id)
    assert len(incremental) == K
    # the batch path: the same weights, the catalogue with the product, the same baskets
    extended, text = _snapshot(product)
    baskets = BasketArrays.from_baskets(extended.baskets, extended.index)
    end = extended.time_range()[1].timestamp() + 1
    batch_model = rebase(model, extended, text, baskets, end)
    assert incremental == _batch(batch_model, product.id)
