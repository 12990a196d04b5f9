"""Top-K associated products per product, in blocks, as rows ready to be written back.

Two kinds (:class:`graph_schema.AssociationKind`), kept apart so a client can ask for either:

* ``complement``: what goes *with* a product, from the learned hybrid (:mod:`training.hybrid`):
  candidates from co-occurrence, the GNN, text and trends, ordered by the fitted ranker;
* ``substitute``: what could *replace* it, by text-embedding cosine :math:`e_i^\\top e_j`.

Both run over blocks of ``block_size`` source products. Substitutes use
:func:`~training.recommender.top_k_dot`,
which also chunks the candidates, so peak memory is :math:`O(\\text{block} \\times \\text{chunk})` beside the
embedding table, whatever the catalogue size (``bench/bench_scoring.py`` measures it up to 1M products).

:func:`score_new_product` is the incremental path: a product that arrived after training gets its
text embedding, a content-only GNN embedding (the encoder is inductive), and both lists, without a retrain.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from graph_schema import AssociationKind
from training.aliases import FloatArray, IntArray, Progress, no_progress
from training.artifact import TrainedModel
from training.embedding import TextEmbedder
from training.hybrid import HybridRecommender
from training.recommender import top_k_dot
from training.snapshot import ProductText

__all__ = [
    "AssociationRow",
    "score_all",
    "score_complements",
    "score_new_product",
    "score_substitutes",
    "top_k_cosine",
]


@dataclass(frozen=True, slots=True)
class AssociationRow:
    """One learned edge: ``(source)-[:ASSOCIATED {score, raw_score, rank, kind}]->(target)``; rank 1
    is best. ``score`` lies in [0, 1] and is what clients threshold: for a complement, the held-out
    probability that the target is in the next basket holding the source (:mod:`training.calibration`);
    for a substitute, the text cosine clipped at 0. ``raw_score`` is the ranker's (or the cosine's)
    own number, kept for analysts."""

    source_id: str
    target_id: str
    score: float
    rank: int
    kind: AssociationKind
    raw_score: float

    def as_dict(self) -> dict[str, str | float | int]:
        """The row the write-back statements take (``associations.write_learned``, ``.replace_learned``)."""
        return {
            "source": self.source_id,
            "target": self.target_id,
            "score": self.score,
            "raw_score": self.raw_score,
            "rank": self.rank,
            "kind": self.kind.value,
        }


def _rows(
    product_ids: Sequence[str],
    sources: IntArray,
    idx: IntArray,
    raw: FloatArray,
    kind: AssociationKind,
    by_rank: FloatArray | None = None,
) -> list[AssociationRow]:
    """Rows of the valid entries of each source's list; ``score`` is ``by_rank[source row, rank - 1]``
    (calibrated scores by rank), or the raw score clipped to [0, 1] without it."""
    out = []
    for row, (source, row_i, row_s) in enumerate(zip(sources, idx, raw, strict=True)):
        rank = 0
        for target, value in zip(row_i, row_s, strict=True):
            if target < 0 or not np.isfinite(value):
                continue
            rank += 1
            score = float(by_rank[row, rank - 1]) if by_rank is not None else min(max(float(value), 0.0), 1.0)
            out.append(
                AssociationRow(product_ids[source], product_ids[target], score, rank, kind, float(value))
            )
    return out


def top_k_cosine(
    embeddings: FloatArray,
    k: int,
    query_idx: IntArray | None = None,
    block_size: int = 1024,
    chunk: int = 65_536,
) -> tuple[IntArray, FloatArray]:
    """Top-``k`` cosine neighbours of each query row (itself excluded), blocked over queries and
    candidates. ``embeddings`` ``(N, D)`` should have unit rows; returns ``(Q, k)`` indices and scores."""
    queries = np.arange(len(embeddings), dtype=np.int64) if query_idx is None else np.asarray(query_idx)
    idx = np.full((len(queries), k), -1, dtype=np.int64)
    val = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for start in range(0, len(queries), block_size):
        q = queries[start : start + block_size]
        i, v = top_k_dot(embeddings[q], embeddings, k, exclude=q, chunk=chunk)
        idx[start : start + len(q)] = i
        val[start : start + len(q)] = v
    return idx, val


def score_substitutes(
    product_ids: Sequence[str],
    text_embeddings: FloatArray,
    k: int,
    block_size: int = 1024,
    progress: Progress = no_progress,
) -> Iterator[list[AssociationRow]]:
    """Substitute rows by text cosine, one list of rows per block of source products."""
    e = np.asarray(text_embeddings, dtype=np.float32)
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    n = len(product_ids)
    for start in range(0, n, block_size):
        q = np.arange(start, min(n, start + block_size), dtype=np.int64)
        idx, val = top_k_dot(e[q], e, k, exclude=q)
        yield _rows(product_ids, q, idx, val, AssociationKind.SUBSTITUTE)
        progress("score substitutes", int(q[-1]) + 1, n)


def score_complements(
    model: TrainedModel,
    k: int,
    block_size: int = 256,
    variant: str = "hybrid",
    progress: Progress = no_progress,
) -> Iterator[list[AssociationRow]]:
    """Complement rows from the model's hybrid (``variant``), one list of rows per block of sources."""
    recommender = model.recommender(variant)
    if not isinstance(recommender, HybridRecommender):
        raise ValueError(f"variant {variant!r} is not a hybrid ranker")
    n = len(model.product_ids)
    for start in range(0, n, block_size):
        q = np.arange(start, min(n, start + block_size), dtype=np.int64)
        idx, val = recommender.top_k_scores(q, k)
        calibrated = model.complement_scores(q, k)
        yield _rows(model.product_ids, q, idx, val, AssociationKind.COMPLEMENT, calibrated)
        progress("score complements", int(q[-1]) + 1, n)


def score_all(
    model: TrainedModel, k: int, block_size: int = 256, progress: Progress = no_progress
) -> Iterator[list[AssociationRow]]:
    """Complements, then substitutes, for every product of the model (blocks of rows)."""
    yield from score_complements(model, k, block_size, progress=progress)
    yield from score_substitutes(model.product_ids, model.text, k, block_size * 4, progress=progress)


def score_new_product(
    model: TrainedModel,
    product: ProductText,
    k: int,
    text_embedding: FloatArray | None = None,
    embedder: TextEmbedder | None = None,
) -> list[AssociationRow]:
    """Complements and substitutes for a new or edited product, without a retrain (the incremental path).

    Its text embedding is ``text_embedding`` ``(D_t,)`` or computed with ``embedder``. A product the
    model has never seen in a basket (new, or known but unsold) is ranked by the hybrid's cold head
    with the GNN vector of its content alone (no edges, cold structural features): the inductive path.
    A product with basket history keeps its pair signals and trained GNN vector; only its text
    changes. Other products keep their trained lists until the next retrain.
    """
    if text_embedding is None:
        if embedder is None:
            raise ValueError("pass the product's text_embedding or an embedder")
        text_embedding = embedder.embed_products([product])[0]
    e = np.asarray(text_embedding, dtype=np.float32).reshape(1, -1)
    e = e / max(float(np.linalg.norm(e)), 1e-12)
    recommender = model.recommender("hybrid")
    assert isinstance(recommender, HybridRecommender)
    known = model.index.get(product.id)
    if known is not None and bool(recommender.signals.seen[known]):
        q = np.array([known], dtype=np.int64)
        idx, val = recommender.top_k_scores(q, k, eq=e)
    else:
        # A catalogue product that never sold keeps its index, so that it is never its own candidate
        # and its list is exactly the one batch scoring gives it.
        content = model.content_encoder.transform([product], e)
        query_vector, _ = model.embed_content(content)
        q = np.array([-1 if known is None else known], dtype=np.int64)
        idx, val = recommender.top_k_scores(q, k, zq=query_vector, eq=e)
    text = recommender.signals.text if recommender.signals.text is not None else model.text
    s_idx, s_val = top_k_dot(e, text, k + 1)
    ids = [*model.product_ids, product.id]
    source = np.array([len(ids) - 1], dtype=np.int64)
    own = -1 if known is None else known
    keep_i = np.where(idx == own, -1, idx)
    keep_s = np.where(s_idx == own, -1, s_idx)
    calibrated = model.complement_scores(np.array([own], dtype=np.int64), k)
    rows = _rows(ids, source, keep_i, val, AssociationKind.COMPLEMENT, calibrated)
    substitutes = _rows(ids, source, keep_s, s_val, AssociationKind.SUBSTITUTE)[:k]
    return rows + substitutes
