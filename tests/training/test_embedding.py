"""Text for embedding, text hashes, stale detection, and the embedder itself (small)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from training.embedding import (
    TextEmbedder,
    embed_with_cache,
    product_text,
    resolve_device,
    stale_products,
    text_hash,
)
from training.snapshot import ProductText

P = ProductText("A", "RED MUG", "a red mug", ("colour:red",), ("Kitchen", "Mugs"), ("great mug",))


def test_product_text_has_every_part() -> None:
    text = product_text(P)
    for part in ("RED MUG", "a red mug", "colour:red", "Kitchen > Mugs", "great mug"):
        assert part in text


def test_text_hash_changes_with_text_and_model() -> None:
    assert text_hash("x") == text_hash("x")
    assert text_hash("x") != text_hash("y")
    assert text_hash("x", "model-a") != text_hash("x", "model-b")


def test_stale_products_only_returns_changed_texts() -> None:
    other = ProductText("B", "BLUE MUG")
    stored = {"A": text_hash(product_text(P)), "B": "old"}
    todo = stale_products([P, other], stored)
    assert [p.id for p, _, _ in todo] == ["B"]
    assert todo[0][2] == text_hash(product_text(other))


def test_resolve_device() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")


@pytest.fixture(scope="module")
def embedder() -> TextEmbedder:
    return TextEmbedder(device="cpu", batch_size=2)


def test_embeddings_are_unit_and_order_independent(embedder: TextEmbedder) -> None:
    texts = ["red mug", "a much longer text about a blue ceramic mug for tea", "candle"]
    e = embedder.embed(texts)
    assert e.shape == (3, 384)
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    unsorted = embedder.embed(texts, sort_by_length=False)
    assert np.allclose(e, unsorted, atol=1e-5)
    assert float(e[0] @ e[1]) > float(e[0] @ e[2])  # mugs are closer to each other than to a candle


def test_half_precision_embeddings_match_float32(embedder: TextEmbedder) -> None:
    texts = ["red hanging heart t-light holder", "white metal lantern", "set of 3 cake tins"]
    half = TextEmbedder(device="cpu", batch_size=2, dtype=torch.bfloat16).embed(texts)
    assert half.dtype == np.float32
    assert np.allclose(np.linalg.norm(half, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(half * embedder.embed(texts), axis=1)
    assert cosine.min() > 0.99


def test_embed_with_cache_reuses_vectors(tmp_path: Path) -> None:
    cache = tmp_path / "cache.npz"
    first = embed_with_cache([P], cache, device="cpu")
    assert cache.exists()
    again = embed_with_cache([P], cache, device="cpu")
    assert np.array_equal(first, again)
