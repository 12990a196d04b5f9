"""Product text embeddings through ``transformers``, mean pooled and L2-normalised.

The model is ``settings.text_model``: all-MiniLM-L6-v2 (English) by default, or
multilingual-e5-small for catalogues in other languages (:mod:`training.text_models` says where
each one's weights come from and which prefix goes before every text).

The text of a product is its title, description, tags, category path and (when present) review texts
(:func:`product_text`). With token states :math:`H \\in \\mathbb{R}^{T \\times 384}` and attention mask
:math:`m \\in \\{0,1\\}^T`, the embedding is

.. math::

    e = \\frac{\\bar h}{\\lVert \\bar h \\rVert_2}, \\qquad \\bar h = \\frac{\\sum_t m_t H_t}{\\sum_t m_t}.

Texts are sorted by length before batching so each batch pads little (see ``bench/bench_embedding.py``
for the ratio against unsorted batches). :func:`text_hash` fingerprints (model, text) so the pipeline
re-embeds only products whose text or model changed (:func:`stale_products`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from training.aliases import FloatArray, Progress, no_progress
from training.snapshot import ProductText
from training.text_models import MINILM, check_dimensions, prepare_text_model

__all__ = [
    "DEFAULT_TEXT_MODEL",
    "TextEmbedder",
    "embed_with_cache",
    "product_text",
    "resolve_device",
    "resolve_model_path",
    "stale_products",
    "text_hash",
]

DEFAULT_TEXT_MODEL = MINILM


def resolve_device(setting: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when present, else CPU; anything else is passed to ``torch.device``."""
    if setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(setting)


def resolve_model_path(name: str | Path = DEFAULT_TEXT_MODEL) -> Path | str:
    """The packaged model for its name (``settings.text_model``), else a local path or a hub name."""
    return prepare_text_model(name).path


def product_text(product: ProductText, max_reviews: int = 5, max_chars: int = 2000) -> str:
    """The text that is embedded for ``product`` (deterministic: it is what :func:`text_hash` sees)."""
    parts = [product.title.strip()]
    if product.description.strip() and product.description.strip().lower() != product.title.strip().lower():
        parts.append(product.description.strip())
    if product.tags:
        parts.append("tags: " + ", ".join(product.tags))
    if product.category:
        parts.append("category: " + " > ".join(product.category))
    reviews = [r.strip() for r in product.review_texts[:max_reviews] if r.strip()]
    if reviews:
        parts.append("reviews: " + " | ".join(reviews))
    return ". ".join(p for p in parts if p)[:max_chars]


def text_hash(text: str, model: str = DEFAULT_TEXT_MODEL) -> str:
    """SHA-256 of the model name and the text: equal hashes mean the stored vector is still valid."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


def stale_products(
    products: Sequence[ProductText],
    stored_hashes: Mapping[str, str | None],
    model: str = DEFAULT_TEXT_MODEL,
) -> list[tuple[ProductText, str, str]]:
    """The products whose stored hash differs from the hash of their current text.

    Returns ``(product, text, hash)`` for each one to embed; ``stored_hashes`` maps product id to
    the ``text_hash`` stored with its embedding (``None`` or absent: never embedded).
    """
    out = []
    for product in products:
        text = product_text(product)
        digest = text_hash(text, model)
        if stored_hashes.get(product.id) != digest:
            out.append((product, text, digest))
    return out


class TextEmbedder:
    """Batched sentence embeddings with a ``transformers`` encoder.

    Args:
        model: ``settings.text_model`` (the packaged all-MiniLM-L6-v2 by default, or
            multilingual-e5-small) or a model path; its vectors must be 384-d (the vector index).
        device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda:0"``...
        batch_size: texts per forward pass.
        max_length: tokens per text (MiniLM was trained with 256; product texts are short).
        dtype: weights and activations; ``torch.float16``/``bfloat16`` roughly double GPU
            throughput, float32 (the default) keeps vectors identical across CPU and GPU workers.
        cache_dir: where packaged weights are converted for ``transformers`` (default
            ``settings.model_dir / "text-models"``).

    ``embed(texts)`` returns ``(len(texts), dim)`` float32 rows of unit norm; the model's prefix
    (``"query: "`` for E5, none for MiniLM) goes before every text.
    """

    def __init__(
        self,
        model: str | Path = DEFAULT_TEXT_MODEL,
        device: str = "auto",
        batch_size: int = 64,
        max_length: int = 128,
        dtype: torch.dtype = torch.float32,
        cache_dir: Path | None = None,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.model_name = str(model)
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.max_length = max_length
        prepared = prepare_text_model(model, cache_dir)
        self.prefix = prepared.prefix
        self.tokenizer = AutoTokenizer.from_pretrained(str(prepared.path))
        self.model = AutoModel.from_pretrained(str(prepared.path), dtype=dtype).to(self.device).eval()
        self.dim = int(self.model.config.hidden_size)
        check_dimensions(self.model_name, self.dim)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self.model_name!r}, device={self.device}, "
            f"dim={self.dim}, batch_size={self.batch_size})"
        )

    @torch.no_grad()
    def _batch(self, texts: list[str]) -> torch.Tensor:
        if self.prefix:
            texts = [self.prefix + t for t in texts]
        encoded = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        ).to(self.device)
        hidden = self.model(**encoded).last_hidden_state  # (B, T, D)
        mask = encoded["attention_mask"].unsqueeze(-1)  # (B, T, 1)
        # Pool in float32: a half-precision sum over 128 tokens loses digits the cosine needs.
        hidden, mask = hidden.float(), mask.float()
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def embed(
        self, texts: Sequence[str], sort_by_length: bool = True, progress: Progress = no_progress
    ) -> FloatArray:
        """Embed ``texts`` in batches; rows come back in the input order."""
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        order = np.argsort([len(t) for t in texts], kind="stable") if sort_by_length else np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._batch([texts[i] for i in idx]).float().cpu().numpy()
            progress("embed", min(start + self.batch_size, n), n)
        return out

    def embed_products(self, products: Sequence[ProductText], progress: Progress = no_progress) -> FloatArray:
        """Embed :func:`product_text` of each product, ``(len(products), dim)``."""
        return self.embed([product_text(p) for p in products], progress=progress)


def embed_with_cache(
    products: Sequence[ProductText],
    cache_path: Path | None,
    model: str = DEFAULT_TEXT_MODEL,
    device: str = "auto",
    batch_size: int = 64,
    progress: Progress = no_progress,
) -> FloatArray:
    """``(N, D)`` embeddings of ``products``, reusing vectors cached by text hash in ``cache_path``
    (an ``.npz`` of ``hashes`` and ``vectors``) and embedding only new or changed texts.

    For the CLI and benchmarks; the pipeline keeps its vectors in Neo4j (``Product.embedding``).
    """
    texts = [product_text(p) for p in products]
    hashes = [text_hash(t, model) for t in texts]
    cached: dict[str, FloatArray] = {}
    if cache_path is not None and cache_path.exists():
        with np.load(cache_path, allow_pickle=False) as data:
            cached = {str(h): v for h, v in zip(data["hashes"], data["vectors"], strict=True)}
    todo = sorted({i for i, h in enumerate(hashes) if h not in cached})
    if todo:
        embedder = TextEmbedder(model, device=device, batch_size=batch_size)
        vectors = embedder.embed([texts[i] for i in todo], progress=progress)
        for i, v in zip(todo, vectors, strict=True):
            cached[hashes[i]] = v
        if cache_path is not None:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            keys = sorted(cached)
            np.savez(cache_path, hashes=np.array(keys), vectors=np.stack([cached[k] for k in keys]))
    return np.stack([cached[h] for h in hashes]).astype(np.float32)
