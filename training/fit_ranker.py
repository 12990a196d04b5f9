"""Fitting the hybrid's :class:`~training.models.ranker.Ranker` (:func:`fit_ranker`).

The ranker is fitted on the validation period only, with signals (:mod:`training.signals`) computed
from the fit period, so its features look as they will at serve time: computed from the past, scored
on what came after. ``mlp``/``linear``/``residual`` minimise a listwise softmax loss whose target
weights are each target's share of Recall@K,

.. math::

    \\mathcal{L} = -\\frac{1}{\\sum w} \\sum_{(B, q)} \\sum_{t \\in (B \\setminus q) \\cap \\mathcal{C}_q}
        \\frac{1}{\\min(K, |B \\setminus q|)}
        \\log \\frac{e^{s_{qt}}}{\\sum_{c \\in \\mathcal{C}_q} e^{s_{qc}}};

``blend`` maximises the validation mean of Recall@K and NDCG@K directly by coordinate ascent on the
feature weights. Because cold queries are rare in any validation window, the cold head also learns
from *simulated* cold queries: warm validation queries scored with their pair signals hidden and
the GNN vector they get from content alone. A residual ranker's correction is fitted at full weight;
its weight :math:`\\lambda` is chosen on rolling windows inside the train window
(:func:`training.selection.choose_residual_scales`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from training.aliases import BoolArray, FloatArray, IntArray
from training.evaluate import EvalQueries
from training.metrics import ideal_dcg
from training.models.ranker import Ranker, listwise_loss
from training.params import FEATURE_INDEX, HYBRID_FEATURES, HybridConfig
from training.signals import HybridSignals

__all__ = ["fit_ranker"]


def _target_weights(queries: EvalQueries, cand_by_q: IntArray, k: int = 10) -> tuple[FloatArray, FloatArray]:
    """Per unique query and candidate slot, ``(U, C)`` each: the candidate's contribution to the
    summed Recall@K, :math:`\\sum_{(B,q)} [c \\in B] / \\min(K, |B \\setminus q|)`, and to the summed
    NDCG@K before the rank discount, :math:`\\sum_{(B,q)} [c \\in B] / \\mathrm{IDCG}_{(B,q)}`.

    Sums over pairs of the metrics of a ranked list are then sums of these weights (times the
    discount for NDCG), so the metric of any scoring is cheap to compute.
    """
    lists = cand_by_q[queries.q_slot]  # (P, C)
    probe = queries.basket[:, None] * queries.n_products + lists
    pos = np.minimum(np.searchsorted(queries.keys, probe), len(queries.keys) - 1)
    hit = (queries.keys[pos] == probe) & (lists >= 0)
    recall = np.zeros(cand_by_q.shape, dtype=np.float64)
    np.add.at(recall, queries.q_slot, hit / np.minimum(queries.n_targets, k)[:, None])
    ndcg = np.zeros(cand_by_q.shape, dtype=np.float64)
    np.add.at(ndcg, queries.q_slot, hit / ideal_dcg(queries.n_targets, k)[:, None])
    return recall.astype(np.float32), ndcg.astype(np.float32)


@dataclass(slots=True)
class _RankerData:
    """Training rows for the ranker: one per (unique validation query, real or simulated)."""

    q: IntArray  # (R,)
    cold: BoolArray  # (R,) scored as a cold query
    simulated: BoolArray  # (R,) a warm query scored as cold
    cand: IntArray  # (R, C), -1 padding
    recall_w: FloatArray  # (R, C): sum over pairs of hit / min(K, |T|)
    ndcg_w: FloatArray  # (R, C): sum over pairs of hit / IDCG
    features: FloatArray  # (R, C, F)
    pairs: dict[str, int]  # pairs behind the rows of each group: warm, cold, simulated


def _ranker_data(signals: HybridSignals, queries: EvalQueries, config: HybridConfig, k: int) -> _RankerData:
    uq = queries.unique_q
    warm_u = np.zeros(len(uq), dtype=np.bool_)
    warm_u[queries.q_slot[queries.warm]] = True
    pieces: list[tuple[IntArray, BoolArray, BoolArray, IntArray, FloatArray, FloatArray]] = []
    for simulate in (False, True) if config.simulated_cold else (False,):
        cold = np.ones(len(uq), dtype=np.bool_) if simulate else ~warm_u
        keep = warm_u if simulate else np.ones(len(uq), dtype=np.bool_)
        blocks = [
            signals.candidates(uq[s : s + 512], cold[s : s + 512], config) for s in range(0, len(uq), 512)
        ]
        cand = _pad_concat(blocks)
        recall_w, ndcg_w = _target_weights(queries, cand, k)
        sel = keep & (recall_w.sum(axis=1) > 0)
        sim = np.full(int(sel.sum()), simulate, dtype=np.bool_)
        pieces.append((uq[sel], cold[sel], sim, cand[sel], recall_w[sel], ndcg_w[sel]))
    q = np.concatenate([p[0] for p in pieces])
    cold = np.concatenate([p[1] for p in pieces])
    sim = np.concatenate([p[2] for p in pieces])
    cand = _pad_concat([p[3] for p in pieces])
    width = cand.shape[1]
    recall_w = np.concatenate([np.pad(p[4], ((0, 0), (0, width - p[4].shape[1]))) for p in pieces])
    ndcg_w = np.concatenate([np.pad(p[5], ((0, 0), (0, width - p[5].shape[1]))) for p in pieces])
    feats = np.concatenate(
        [
            signals.features(q[s : s + 512], cand[s : s + 512], cold[s : s + 512])
            for s in range(0, len(q), 512)
        ]
    )
    pairs = {
        "warm": int(queries.warm.sum()),
        "cold": int((~queries.warm).sum()),
        "simulated": int(queries.warm.sum()) if config.simulated_cold else 0,
    }
    return _RankerData(q, cold, sim, cand, recall_w, ndcg_w, feats, pairs)


def _pad_concat(blocks: list[IntArray]) -> IntArray:
    width = max(b.shape[1] for b in blocks)
    out: IntArray = np.concatenate(
        [np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=-1) for b in blocks]
    )
    return out


def _objective(scores: FloatArray, recall_w: FloatArray, ndcg_w: FloatArray, n_pairs: int, k: int) -> float:
    """Mean of Recall@K and NDCG@K over ``n_pairs`` pairs, from per-candidate metric weights."""
    if n_pairs == 0 or len(scores) == 0:
        return 0.0
    kk = min(k, scores.shape[1])
    top = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    recall = np.take_along_axis(recall_w, top, axis=1).sum()
    disc = 1.0 / np.log2(np.arange(2, kk + 2))
    ndcg = (np.take_along_axis(ndcg_w, top, axis=1) * disc).sum()
    return float(0.5 * (recall + ndcg) / n_pairs)


def _fit_blend(data: _RankerData, ranker: Ranker, config: HybridConfig, k: int) -> None:
    """Coordinate ascent on the standardised feature weights of each head, maximising the
    validation objective (mean Recall@K and NDCG@K) directly."""
    mean = ranker.mean.numpy()
    std = ranker.std.numpy()
    mask = ranker.mask.numpy()
    f = (data.features - mean) / std * mask
    f[data.cand < 0] = 0.0
    invalid = data.cand < 0
    active = np.flatnonzero(mask > 0)
    for head in (0, 1):
        if head == 0:
            groups = [(~data.cold, data.pairs["warm"])]
            start = "dcooc_rel"
        else:
            groups = [
                (data.cold & ~data.simulated, data.pairs["cold"]),
                (data.simulated, data.pairs["simulated"]),
            ]
            groups = [(rows, n) for rows, n in groups if rows.any() and n > 0]
            start = "gnn" if config.use_gnn else "text"
        if not groups:
            continue

        def objective(w: FloatArray, groups: list[tuple[BoolArray, int]] = groups) -> float:
            total = 0.0
            for rows, n in groups:
                s = f[rows] @ w
                s[invalid[rows]] = -np.inf
                total += _objective(s, data.recall_w[rows], data.ndcg_w[rows], n, k)
            return total / len(groups)

        w = np.zeros(len(mask), dtype=np.float32)
        if mask[FEATURE_INDEX[start]] > 0:
            w[FEATURE_INDEX[start]] = 1.0
        best = objective(w)
        for step in (1.0, 0.5, 0.25, 0.125)[: config.blend_rounds]:
            for feature in active:
                for delta in (-1.0, -0.5, -0.2, 0.2, 0.5, 1.0):
                    trial = w.copy()
                    trial[feature] += delta * step
                    value = objective(trial)
                    if value > best + 1e-7:
                        best, w = value, trial
        with torch.no_grad():
            ranker.head_linear(head).weight.copy_(torch.from_numpy(w).view(1, -1))
            ranker.head_linear(head).bias.zero_()


def _fit_gradient(data: _RankerData, ranker: Ranker, config: HybridConfig) -> None:
    """Adam on the listwise softmax loss with Recall@K target weights, one member at a time."""
    f_t = torch.from_numpy(data.features)
    w_t = torch.from_numpy(data.recall_w)
    valid_t = torch.from_numpy(data.cand >= 0)
    cold_t = torch.from_numpy(data.cold)
    # Real cold queries are few: give them as much total weight as the simulated ones.
    row_w = torch.ones(len(data.q))
    real_cold = torch.from_numpy(data.cold & ~data.simulated)
    n_sim = int(data.simulated.sum())
    if bool(real_cold.any()) and n_sim:
        row_w[real_cold] = n_sim / float(real_cold.sum())
    ranker.train()
    for member in range(ranker.members):
        torch.manual_seed(config.seed + member)
        rng = np.random.default_rng(config.seed + member)
        ranker.reset_member(member)
        opt = torch.optim.Adam(
            ranker.member_parameters(member), lr=config.lr, weight_decay=config.weight_decay
        )
        for _ in range(config.steps):
            size = min(config.batch_queries, len(data.q))
            idx = torch.from_numpy(rng.choice(len(data.q), size=size, replace=False))
            s = ranker.member_forward(f_t[idx], cold_t[idx], member)
            loss = listwise_loss(s, w_t[idx] * row_w[idx, None], valid_t[idx])
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()


def fit_ranker(signals: HybridSignals, queries: EvalQueries, config: HybridConfig, k: int = 10) -> Ranker:
    """Fit the ranker on validation ``queries`` with ``signals`` from the fit period.

    Real cold queries (``~queries.warm``) train the cold head; with ``config.simulated_cold`` the
    warm queries also appear as simulated cold ones. ``config.ranker``: ``"blend"`` (a weighted blend,
    weights by coordinate ascent on the validation metric), ``"residual"``, ``"linear"`` or ``"mlp"``
    (Adam on the listwise loss; a residual correction is fitted at full weight, then scaled by
    ``config.residual_scale``).
    """
    data = _ranker_data(signals, queries, config, k)
    members = 1 if config.ranker == "blend" else config.members
    ranker = Ranker(len(HYBRID_FEATURES), kind=config.ranker, hidden=config.hidden, members=members)
    valid = data.cand >= 0
    flat = data.features[valid]
    ranker.mean.copy_(torch.from_numpy(flat.mean(axis=0)))
    ranker.std.copy_(torch.from_numpy(np.maximum(flat.std(axis=0), 1e-6)))
    ranker.mask.copy_(torch.from_numpy(config.feature_mask()))
    if config.ranker == "blend":
        _fit_blend(data, ranker, config, k)
    else:
        _fit_gradient(data, ranker, config)  # a residual correction is fitted at full weight
    ranker.scale.fill_(config.residual_scale)
    ranker.eval()
    return ranker
