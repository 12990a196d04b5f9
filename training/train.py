"""The GNN link predictor's training loop, with cold-start simulation (:func:`train_gnn`).

:func:`train_epoch` / :func:`validation_scores` run until validation stops improving (``patience``);
the weights of the best validation epoch are kept (never a test score). The orchestration around it
(split, half-life, selection, hybrid) is :func:`training.fit.fit`.

Each training step: hide a random share of the nodes (cold-start simulation: no edges, zero
structural features), drop a share of the other edges, encode all nodes (full batch), draw fresh
positive pairs and negatives, and minimise a sampled softmax

.. math::

    \\mathcal{L} = -\\frac{1}{P} \\sum_{p} \\log \\frac{e^{s_{q_p t_p}}}{e^{s_{q_p t_p}}
        + \\sum_{n \\in \\mathcal{N}_p} e^{s_{q_p n}}}

over in-batch targets and shared popularity-aware negatives :math:`\\mathcal{N}_p`, or (``loss="bce"``)
binary cross-entropy on positives and per-pair negatives.
"""

from __future__ import annotations

import copy
import random
import time

import numpy as np
import torch
from torch import Tensor

from training.aliases import FloatArray, Progress, no_progress
from training.artifact import EpochRecord, GnnVectors
from training.embedding import resolve_device
from training.evaluate import EvalQueries, EvalResult, evaluate_recommender
from training.graph import ContentEncoder, ProductGraph, build_graph
from training.interactions import BasketArrays, decay_weights
from training.models import build_model
from training.models.link import LinkPredictor
from training.params import TrainParams
from training.recommender import DotRecommender
from training.sampling import NegativeSampler, PairSampler, cold_start_mask, drop_edges
from training.snapshot import CatalogueSnapshot
from training.split import SplitData

__all__ = [
    "embed_nodes",
    "seed_everything",
    "train_epoch",
    "train_gnn",
    "validation_scores",
    "window_graph",
]


def window_graph(
    snapshot: CatalogueSnapshot,
    baskets: BasketArrays,
    ref_s: float,
    text: FloatArray,
    content_encoder: ContentEncoder,
    params: TrainParams,
    half_life: float,
) -> ProductGraph:
    """The co-purchase graph of ``baskets`` (a window ending at ``ref_s``, epoch seconds), on
    ``params.device``: what the GNN is trained on and applied to."""
    graph = build_graph(
        snapshot.products, baskets, ref_s, text, content_encoder,
        half_life_days=half_life, max_neighbors=params.max_neighbors, trending_days=params.trending_days,
    )  # fmt: skip
    return graph.to(resolve_device(params.device))


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _criterion(result: EvalResult, cold_view: EvalResult) -> float:
    """Model selection on validation: the mean of warm NDCG@K and cold-start NDCG@K.

    Real cold queries are few in any validation window (about 550 pairs here), so the cold term is
    measured on *every* validation pair with the query's content-only vector (``cold_view``): how
    well the model places a product it knows only by text and tags. Real cold pairs are among them.
    """
    return 0.5 * (result.warm.ndcg + cold_view.overall.ndcg)


def _loss(
    model: LinkPredictor,
    z: Tensor,
    q: Tensor,
    t: Tensor,
    negatives: Tensor,
    kind: str,
    log_q: Tensor | None = None,
) -> Tensor:
    zq = z[q]
    if kind == "softmax":
        cand = torch.cat([t, negatives])  # (P + M,)
        logits = model.score_all(zq, z[cand])  # (P, P + M)
        if log_q is not None:  # log-Q correction: candidates drawn often are not penalised for it
            logits = logits - log_q[cand].unsqueeze(0)
        same = cand[None, :] == t[:, None]
        same.fill_diagonal_(False)  # other rows' copies of my target are not negatives
        invalid = same | (cand[None, :] == q[:, None])
        logits = logits.masked_fill(invalid, float("-inf"))
        labels = torch.arange(len(q), device=z.device)
        return torch.nn.functional.cross_entropy(logits, labels)
    if kind == "bce":
        per = max(1, len(negatives) // max(1, len(q)))
        neg = negatives[: per * len(q)].view(len(q), per)
        pos_logit = model.score(zq, z[t])
        neg_logit = model.scale * (zq.unsqueeze(1) * z[neg]).sum(-1) + model.candidate_bias(z[neg])
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        return bce(pos_logit, torch.ones_like(pos_logit)) + bce(neg_logit, torch.zeros_like(neg_logit))
    raise ValueError(f"unknown loss {kind!r}: softmax or bce")


def train_epoch(
    model: LinkPredictor,
    graph: ProductGraph,
    pairs: PairSampler,
    negatives: NegativeSampler,
    optimizer: torch.optim.Optimizer,
    params: TrainParams,
    rng: np.random.Generator,
    generator: torch.Generator,
    log_q: Tensor | None = None,
) -> float:
    """One epoch of ``params.steps_per_epoch`` full-batch steps; returns the mean loss.

    Every step draws a fresh cold-start mask, edge dropout, positive pairs and negatives.
    ``log_q`` ``(N,)`` is the log sampling probability of each product as a softmax candidate.
    """
    model.train()
    device = graph.content.device
    total = 0.0
    for _ in range(params.steps_per_epoch):
        hidden = (
            cold_start_mask(graph.num_nodes, params.cold_fraction, generator)
            if params.cold_fraction > 0
            else None
        )
        hidden_dev = None if hidden is None else hidden.to(device)
        ei, ew = drop_edges(
            graph.edge_index.cpu(), graph.edge_weight.cpu(), hidden, params.edge_dropout, generator
        )
        z = model(graph.x(hidden_dev), ei.to(device), ew.to(device))
        q_np, t_np = pairs.sample(params.batch_pairs, rng)
        neg_np = negatives.sample(params.num_negatives, rng)
        q = torch.from_numpy(q_np).to(device)
        t = torch.from_numpy(t_np).to(device)
        neg = torch.from_numpy(neg_np).to(device)
        loss = _loss(model, z, q, t, neg, params.loss, log_q)
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        total += float(loss.detach())
    return total / max(1, params.steps_per_epoch)


@torch.no_grad()
def embed_nodes(model: LinkPredictor, graph: ProductGraph) -> GnnVectors:
    """Key and query vectors on the full graph, and content-only query vectors."""
    model.eval()
    device = graph.content.device
    z = model(graph.x(), graph.edge_index, graph.edge_weight)
    everyone = torch.ones(graph.num_nodes, dtype=torch.bool, device=device)
    empty = torch.zeros((2, 0), dtype=torch.long, device=device)
    z_cold = model(graph.x(everyone), empty, torch.zeros(0, device=device))
    return GnnVectors(
        key=model.key_vectors(z).cpu().numpy(),
        query=model.query_vectors(z).cpu().numpy(),
        query_cold=model.query_vectors(z_cold).cpu().numpy(),
    )


def validation_scores(
    model: LinkPredictor, graph: ProductGraph, queries: EvalQueries, k: int = 10
) -> tuple[EvalResult, EvalResult]:
    """The GNN alone on ``queries``: :math:`s_{qc} = \\tau z_q^\\top z_c + b_c` on the full graph
    (a cold node's vectors come from its content, as it has no edges), and the same with every
    query's content-only vector (the cold-start view used for model selection)."""
    vectors = embed_nodes(model, graph)
    normal = evaluate_recommender(DotRecommender(vectors.query, vectors.key, name="gnn"), queries, k)
    cold_view = evaluate_recommender(
        DotRecommender(vectors.query_cold, vectors.key, name="gnn_cold_view"), queries, k
    )
    return normal, cold_view


def _log_sampling_probability(
    pairs: PairSampler, negatives: NegativeSampler, params: TrainParams, rng: np.random.Generator
) -> Tensor:
    """``(N,)`` log-probability that a softmax candidate slot holds each product: the mixture of the
    in-batch targets (estimated from 100k sampled pairs) and the shared negatives."""
    n = len(negatives.probabilities)
    _, targets = pairs.sample(100_000, rng)
    p_target = (np.bincount(targets, minlength=n) + 0.1) / (len(targets) + 0.1 * n)
    b, m = params.batch_pairs, params.num_negatives
    p = (b * p_target + m * negatives.probabilities) / (b + m)
    return torch.from_numpy(np.log(p).astype(np.float32))


def train_gnn(
    graph: ProductGraph,
    data: SplitData,
    params: TrainParams,
    progress: Progress = no_progress,
) -> tuple[LinkPredictor, list[EpochRecord], int]:
    """Train on the fit period's ``graph``, early-stopped on ``data.val_queries``.

    Returns the model with the best validation weights, the history and the best epoch.
    """
    seed_everything(params.seed)
    device = graph.content.device
    model = build_model(params, graph.num_features).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=params.lr, weight_decay=params.weight_decay)
    ref_s = data.split.val_start.timestamp()
    pair_w = decay_weights(data.fit.ts, ref_s, params.pair_half_life_days)
    pairs = PairSampler(data.fit, pair_w)
    negatives = NegativeSampler.create(data.fit, params.negatives, params.neg_alpha)
    rng = np.random.default_rng(params.seed)
    log_q = None
    if params.logq_correction and params.loss == "softmax":
        log_q = _log_sampling_probability(pairs, negatives, params, rng).to(device)
    generator = torch.Generator().manual_seed(params.seed)
    history: list[EpochRecord] = []
    best_state = copy.deepcopy(model.state_dict())
    best, best_epoch, waited = -np.inf, 0, 0
    for epoch in range(1, params.epochs + 1):
        start = time.perf_counter()
        loss = train_epoch(model, graph, pairs, negatives, optimizer, params, rng, generator, log_q)
        result, cold_view = validation_scores(model, graph, data.val_queries)
        criterion = _criterion(result, cold_view)
        val = {**result.as_dict(), "cold_view": cold_view.overall.as_dict()}
        history.append(EpochRecord(epoch, loss, val, criterion, time.perf_counter() - start))
        progress("epoch", epoch, params.epochs)
        if criterion > best:
            best, best_epoch, waited = criterion, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= params.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return model, history, best_epoch
