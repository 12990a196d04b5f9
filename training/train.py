"""Training: the GNN link predictor with cold-start simulation, then the hybrid ranker.

:func:`fit` is the one entry point the retrain pipeline calls::

    model = fit(snapshot, text_embeddings, TrainParams(encoder="sage"), progress=report)
    model.save(run_dir)

Steps (each reported through ``progress(step, done, total)``; the GNN reports ``("epoch", e, epochs)``
after every epoch, the others ``(step, 1, 1)`` when done):

1. **split**: the last ``val_days`` of the snapshot's baskets are validation, the rest the fit period
   (:mod:`training.split`); pass a :class:`~training.split.TimeSplit` to evaluate on a held-out test.
2. **half-life**: the co-occurrence half-life is chosen on validation
   (:func:`~training.baselines.tune_half_life`).
3. **graph**: the co-purchase graph of the fit period (:mod:`training.graph`).
4. **train**: :func:`train_epoch` / :func:`evaluate` until validation stops improving (``patience``);
   the weights of the best validation epoch are kept (never a test score).
5. **selection**: the residual ranker's correction weight is chosen on rolling two-week windows
   at the end of the train window, with a second GNN trained on the baskets before them
   (:func:`choose_residual_scales`; reported as ``("selection_epoch", e, epochs)`` and
   ``("selection", i, n)``).
6. **hybrid**: the ranker(s) are fitted on validation with signals from the fit period
   (:mod:`training.hybrid`).
7. **final**: the chosen weights are applied, inductively, to the graph of the whole train window,
   and the hybrid signals are recomputed on it; that is what scoring and evaluation use.

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
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import torch
from torch import Tensor

from training.aliases import FloatArray, Progress, no_progress
from training.artifact import EpochRecord, GnnVectors, TrainedModel
from training.baselines import tune_half_life
from training.embedding import resolve_device
from training.evaluate import EvalQueries, EvalResult, build_queries, evaluate_recommender, evaluate_top_k
from training.fit_ranker import fit_ranker
from training.graph import ContentEncoder, ProductGraph, build_graph
from training.hybrid import HybridRecommender
from training.interactions import BasketArrays, decay_weights
from training.models import build_model
from training.models.link import LinkPredictor
from training.models.ranker import Ranker
from training.params import HybridConfig, TrainParams
from training.recommender import DotRecommender
from training.sampling import NegativeSampler, PairSampler, cold_start_mask, drop_edges
from training.signals import HybridSignals, build_signals
from training.snapshot import CatalogueSnapshot
from training.split import SplitData, TimeSplit, make_split

__all__ = [
    "evaluate",
    "fit",
    "seed_everything",
    "train_epoch",
]


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


def evaluate(
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
        result, cold_view = evaluate(model, graph, data.val_queries)
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


def choose_residual_scales(
    snapshot: CatalogueSnapshot,
    train: BasketArrays,
    split: TimeSplit,
    params: TrainParams,
    configs: dict[str, HybridConfig],
    half_life: float,
    content_encoder: ContentEncoder,
    text: FloatArray,
    progress: Progress = no_progress,
) -> dict[str, tuple[float, dict[str, Any]]]:
    """The weight :math:`\\lambda` of the residual ranker's correction, chosen on rolling held-out
    windows inside the train window (``train``, the baskets before ``split.train_end``).

    With :math:`W` = ``params.selection_windows`` and :math:`D` = ``params.selection_days``, cut
    :math:`W + 1` windows of :math:`D` days at the end of the train window, starting at
    :math:`t_0 < t_1 < \\dots < t_W`. A *selection GNN* is trained on the baskets before :math:`t_0`
    (early-stopped on :math:`[t_0, t_1)`), so no window's baskets reach the GNN features it is scored
    with. For :math:`i = 0..W-1`, a ranker is fitted on window :math:`i` with signals of the baskets
    before :math:`t_i` (the production fit's shape) and scored on window :math:`i + 1` with signals
    of the baskets before :math:`t_{i+1}`, once per :math:`\\lambda` in ``params.residual_grid``. The
    choice maximises the mean over windows of warm (Recall@10 + NDCG@10) / 2, ties to the smaller
    :math:`\\lambda` (:math:`\\lambda = 0` is time-decayed co-occurrence itself).

    Each residual config of ``configs`` (by name) gets its own choice on the same windows and GNN.
    Returns ``name -> (lambda, details)``; ``lambda`` is the config's ``residual_scale`` (and
    ``details`` says why) when it is not residual, selection is off, or the history is too short.
    """
    out = {
        name: (c.residual_scale, {"skipped": "not a residual ranker, or its scale is fixed"})
        for name, c in configs.items()
    }
    residual = {name: c for name, c in configs.items() if c.ranker == "residual" and c.select_scale}
    windows, grid = params.selection_windows, tuple(params.residual_grid)

    def skip(why: str) -> dict[str, tuple[float, dict[str, Any]]]:
        return {**out, **{name: (c.residual_scale, {"skipped": why}) for name, c in residual.items()}}

    if not residual:
        return out
    if windows < 1 or len(grid) < 2:
        return skip("selection is off")
    end = split.train_end
    day = timedelta(days=params.selection_days)
    starts = [end - day * (windows + 1 - i) for i in range(windows + 1)]
    if split.train_start is not None and starts[0] <= split.train_start:
        return skip("train window too short for the selection windows")
    sel_split = TimeSplit(val_start=starts[0], train_end=starts[1], train_start=split.train_start)
    sel = make_split(snapshot, sel_split)
    if len(sel.fit) < 2 or len(sel.val_queries) == 0:
        return skip("too few baskets before the selection windows")

    def gnn_progress(step: str, done: int, total: int) -> None:
        progress("selection_epoch", done, total)

    sel_graph = _graph(snapshot, sel.fit, starts[0], text, content_encoder, params, half_life)
    model, _, best_epoch = train_gnn(sel_graph, sel, params, gnn_progress)
    ends = [*starts[1:], end]
    n_candidates = max(c.n_candidates for c in residual.values())
    signals: dict[int, HybridSignals] = {}
    for i, t in enumerate(starts):
        before = train.window(None, t.timestamp())
        graph = _graph(snapshot, before, t, text, content_encoder, params, half_life)
        signals[i] = build_signals(
            before, t.timestamp(), half_life, embed_nodes(model, graph).as_tuple(), text,
            params.trending_days, n_candidates,
        )  # fmt: skip
    pairs: list[tuple[int, EvalQueries, EvalQueries]] = []
    for i in range(windows):
        seen_fit = train.window(None, starts[i].timestamp()).seen()
        fit_q = build_queries(train.window(starts[i].timestamp(), ends[i].timestamp()), seen_fit)
        seen_eval = train.window(None, starts[i + 1].timestamp()).seen()
        eval_q = build_queries(train.window(starts[i + 1].timestamp(), ends[i + 1].timestamp()), seen_eval)
        if len(fit_q) and eval_q.warm.any():
            pairs.append((i, fit_q, eval_q.subset(eval_q.warm)))
    if not pairs:
        return skip("no warm pairs in the selection windows")
    for n, (name, config) in enumerate(residual.items(), start=1):
        scores: dict[float, list[float]] = {lam: [] for lam in grid}
        rows: list[dict[str, Any]] = []
        for i, fit_q, eval_q in pairs:
            ranker = fit_ranker(signals[i], fit_q, config)
            row: dict[str, Any] = {
                "fit": [starts[i].isoformat(), ends[i].isoformat()],
                "scored": [starts[i + 1].isoformat(), ends[i + 1].isoformat()],
                "pairs": len(eval_q),
            }
            lists = HybridRecommender(signals[i + 1], ranker, config).top_k_per_scale(
                eval_q.unique_q, 10, grid
            )
            for lam in grid:
                result = evaluate_top_k(eval_q, lists[lam])
                scores[lam].append(0.5 * (result.warm.recall + result.warm.ndcg))
                row[f"{lam:g}"] = {"recall": result.warm.recall, "ndcg": result.warm.ndcg}
            rows.append(row)
        mean = {lam: float(np.mean(v)) for lam, v in scores.items()}
        chosen = max(grid, key=lambda lam: (round(mean[lam], 6), -lam))
        details: dict[str, Any] = {
            "scale": chosen,
            "criterion": {f"{k:g}": v for k, v in mean.items()},
            "windows": rows,
            "selection_gnn_best_epoch": best_epoch,
        }
        out[name] = (float(chosen), details)
        progress("selection", n, len(residual))
    return out


def _graph(
    snapshot: CatalogueSnapshot,
    baskets: BasketArrays,
    ref: Any,
    text: FloatArray,
    content_encoder: ContentEncoder,
    params: TrainParams,
    half_life: float,
) -> ProductGraph:
    """The co-purchase graph of ``baskets`` (a window ending at datetime ``ref``), on the device."""
    graph = build_graph(
        snapshot.products, baskets, ref.timestamp(), text, content_encoder,
        half_life_days=half_life, max_neighbors=params.max_neighbors, trending_days=params.trending_days,
    )  # fmt: skip
    return graph.to(resolve_device(params.device))


def fit(
    snapshot: CatalogueSnapshot,
    text_embeddings: FloatArray,
    params: TrainParams | None = None,
    split: TimeSplit | None = None,
    extra_hybrids: dict[str, HybridConfig] | None = None,
    progress: Progress = no_progress,
) -> TrainedModel:
    """Train the GNN and the hybrid on ``snapshot`` (see the module docstring for the steps).

    Args:
        snapshot: products and baskets; only baskets before ``split.train_end`` are used.
        text_embeddings: ``(N, D_t)`` rows aligned with ``snapshot.products``.
        params: hyper-parameters (defaults: :class:`TrainParams`).
        split: validation and train-window boundaries; by default the last ``params.val_days``
            of the snapshot are validation (the last fifth of the baskets when that leaves no fit
            period, as in a short history) and the model is trained on everything.
        extra_hybrids: more ranker variants to fit on the same GNN (ablations), by name.
        progress: ``progress(step, done, total)``, called after each step and epoch.

    Returns:
        A :class:`TrainedModel` whose signals and embeddings cover the whole train window.
    """
    params = params or TrainParams()
    if params.threads:
        torch.set_num_threads(params.threads)
    if len(text_embeddings) != len(snapshot.products):
        raise ValueError("text_embeddings must have one row per snapshot product")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    device = resolve_device(params.device)
    chosen = split is not None
    if split is None:
        split = TimeSplit.for_training(snapshot.time_range()[1], params.val_days)
    data = make_split(snapshot, split)
    if not chosen and (len(data.fit) < 2 or len(data.val_queries) == 0):
        # A short history (a new shop, a test graph): validate on the last fifth of the baskets.
        times = sorted(b.ts for b in snapshot.baskets)
        cut = times[min(len(times) - 1, max(1, int(0.8 * len(times))))]
        if times[0] < cut:
            split = TimeSplit(val_start=cut, train_end=split.train_end)
            data = make_split(snapshot, split)
    if len(data.fit) == 0 or len(data.val_queries) == 0:
        raise ValueError("the fit or validation period has no baskets: pick another split or val_days")
    val_s, end_s = split.val_start.timestamp(), split.train_end.timestamp()
    lap("split")
    progress("split", 1, 1)

    if params.half_life_days is None:
        half_life, _ = tune_half_life(data.fit, data.val_queries, val_s, params.half_life_grid)
    else:
        half_life = params.half_life_days
    lap("half_life")
    progress("half_life", 1, 1)

    content_encoder = ContentEncoder.fit(snapshot.products, max_tags=params.max_tags)
    text = np.asarray(text_embeddings, dtype=np.float32)

    def graph_of(window: str) -> ProductGraph:
        baskets, ref = (data.fit, val_s) if window == "fit" else (data.train, end_s)
        g = build_graph(
            snapshot.products, baskets, ref, text, content_encoder,
            half_life_days=half_life, max_neighbors=params.max_neighbors, trending_days=params.trending_days,
        )  # fmt: skip
        return g.to(device)

    fit_graph = graph_of("fit")
    lap("graph")
    progress("graph", 1, 1)

    model, history, best_epoch = train_gnn(fit_graph, data, params, progress)
    lap("train")

    variants = {"hybrid": params.hybrid, **(extra_hybrids or {})}
    scales = choose_residual_scales(
        snapshot, data.train, split, params, variants, half_life, content_encoder, text, progress
    )
    variants = {name: replace(c, residual_scale=scales[name][0]) for name, c in variants.items()}
    lap("selection")

    fit_vectors = embed_nodes(model, fit_graph)
    fit_signals = build_signals(
        data.fit,
        val_s,
        half_life,
        fit_vectors.as_tuple(),
        text,
        params.trending_days,
        params.hybrid.n_candidates,
    )
    rankers: dict[str, tuple[HybridConfig, Ranker]] = {}
    val_metrics: dict[str, Any] = {"gnn": history[best_epoch - 1].val if history else {}}
    for i, (name, config) in enumerate(variants.items(), start=1):
        ranker = fit_ranker(fit_signals, data.val_queries, config)
        rankers[name] = (config, ranker)
        val_metrics[name] = evaluate_recommender(
            HybridRecommender(fit_signals, ranker, config, name), data.val_queries
        ).as_dict()
        progress("hybrid", i, len(variants))
    lap("hybrid")

    final_graph = graph_of("train")
    vectors = embed_nodes(model, final_graph)
    signals = build_signals(
        data.train,
        end_s,
        half_life,
        vectors.as_tuple(),
        text,
        params.trending_days,
        params.hybrid.n_candidates,
    )
    lap("final")
    progress("final", 1, 1)
    return TrainedModel(
        product_ids=snapshot.product_ids,
        params=params,
        content_encoder=content_encoder,
        model=model.cpu(),
        gnn=vectors,
        text=text,
        signals=signals,
        rankers=rankers,
        half_life_days=half_life,
        split=split.as_dict(),
        history=history,
        best_epoch=best_epoch,
        val_metrics=val_metrics,
        timings=timings,
        sizes={
            **data.sizes(),
            "edges": int(final_graph.edge_index.shape[1]),
            "features": final_graph.num_features,
        },
        selection={name: details for name, (_, details) in scales.items()},
    )


def fit_many(
    snapshot: CatalogueSnapshot,
    text_embeddings: FloatArray,
    encoders: Sequence[str],
    params: TrainParams,
    split: TimeSplit | None = None,
    extra_hybrids: dict[str, HybridConfig] | None = None,
    progress: Progress = no_progress,
) -> dict[str, TrainedModel]:
    """:func:`fit` once per encoder name (for comparisons), same params otherwise."""
    out = {}
    for name in encoders:
        out[name] = fit(
            snapshot, text_embeddings, _replace(params, encoder=name), split, extra_hybrids, progress
        )
    return out


def _replace(params: TrainParams, **changes: Any) -> TrainParams:
    data = params.as_dict()
    data.update(changes)
    data["hybrid"] = changes.get("hybrid", params.hybrid)
    return TrainParams.from_dict(data)
