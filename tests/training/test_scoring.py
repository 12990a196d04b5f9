"""Blocked top-K equals brute force; association rows are well formed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graph_schema import AssociationKind
from training.recommender import top_k_dot, top_k_rows
from training.scoring import score_substitutes, top_k_cosine
from training.synthetic import random_embeddings


def _brute(e: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    s = e @ e.T
    np.fill_diagonal(s, -np.inf)
    idx = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(s, idx, axis=1)


@pytest.mark.parametrize(("block_size", "chunk"), [(7, 5), (16, 1000), (1000, 13)])
def test_blocked_top_k_equals_brute_force(block_size: int, chunk: int) -> None:
    e = random_embeddings(101, 16, seed=4)
    idx, val = top_k_cosine(e, 10, block_size=block_size, chunk=chunk)
    b_idx, b_val = _brute(e, 10)
    assert val == pytest.approx(b_val, abs=1e-5)
    assert (idx == b_idx).mean() > 0.99  # equal up to exact float ties
    assert not np.any(idx == np.arange(101)[:, None])


def test_top_k_dot_pads_small_catalogues() -> None:
    table = random_embeddings(3, 4, seed=1)
    idx, val = top_k_dot(table[:1], table, 5, exclude=np.array([0]))
    assert idx.shape == (1, 5)
    assert set(idx[0, :2].tolist()) == {1, 2} and idx[0, 2:].tolist() == [-1, -1, -1]
    assert np.isneginf(val[0, 2:]).all()


def test_top_k_dot_scores_a_tensor_table_on_its_device() -> None:
    # The GPU path (table placed once on the device) is the same code; CPU CI runs it on a CPU tensor.
    e = random_embeddings(200, 16, seed=5)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    q = np.arange(0, 200, 3)
    on_device = top_k_dot(e[q], torch.from_numpy(e).to(device), 7, exclude=q, chunk=17)
    host = top_k_dot(e[q], e, 7, exclude=q, chunk=17)
    assert on_device[1] == pytest.approx(host[1], abs=1e-5)
    assert (on_device[0] == host[0]).mean() > 0.99


def test_top_k_rows_excludes_query_and_pads() -> None:
    scores = np.array([[5.0, 4.0, 3.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    idx, _ = top_k_rows(scores, np.array([0, 2]), 4)
    assert idx.tolist() == [[1, 2, -1, -1], [1, 0, -1, -1]]


def test_substitute_rows() -> None:
    e = random_embeddings(30, 8, seed=2)
    ids = [f"p{i}" for i in range(30)]
    rows = [r for block in score_substitutes(ids, e, 3, block_size=8) for r in block]
    assert len(rows) == 90
    assert {r.kind for r in rows} == {AssociationKind.SUBSTITUTE}
    first = [r for r in rows if r.source_id == "p0"]
    assert [r.rank for r in first] == [1, 2, 3]
    assert first[0].score >= first[1].score >= first[2].score
    assert all(r.source_id != r.target_id for r in rows)
