"""Training end to end: the GNN link predictor, the choice of the residual weight, then the hybrid
ranker.

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
4. **train**: the GNN (:func:`~training.train.train_gnn`) until validation stops improving
   (``patience``); the weights of the best validation epoch are kept (never a test score).
5. **hybrid**: the ranker(s) are fitted on validation with signals from the fit period
   (:mod:`training.fit_ranker`).
6. **selection**: the residual ranker's correction weight is chosen on rolling two-week windows
   at the end of the train window, with a second GNN trained on the baskets before them
   (:func:`~training.selection.choose_residual_scales`; reported as
   ``("selection_epoch", e, epochs)`` and ``("selection", i, n)``). It needs nothing from steps 4-5,
   so by default (``background_selection``) it runs in a second process from the start of step 4,
   each side with half the torch threads, and step 6 only waits for it.
7. **final**: the chosen weights are applied, inductively, to the graph of the whole train window,
   and the hybrid signals are recomputed on it; that is what scoring and evaluation use.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from training import background
from training.aliases import FloatArray, Progress, no_progress
from training.artifact import TrainedModel
from training.baselines import tune_half_life
from training.calibration import ScoreCalibration, popularity_percentile
from training.embedding import resolve_device
from training.evaluate import EvalQueries, evaluate_recommender, hit_matrix
from training.fit_ranker import fit_ranker
from training.graph import ContentEncoder
from training.hybrid import HybridRecommender
from training.models.ranker import Ranker
from training.params import HybridConfig, TrainParams
from training.rebase import rebase
from training.selection import choose_residual_scales
from training.signals import HybridSignals, build_signals
from training.snapshot import CatalogueSnapshot
from training.split import TimeSplit, make_split
from training.train import embed_nodes, train_gnn, window_graph

__all__ = ["fit", "fit_many"]


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
        params: hyper-parameters (defaults: :class:`~training.params.TrainParams`).
        split: validation and train-window boundaries; by default the last ``params.val_days``
            of the snapshot are validation (the last fifth of the baskets when that leaves no fit
            period, as in a short history) and the model is trained on everything.
        extra_hybrids: more ranker variants to fit on the same GNN (ablations), by name.
        progress: ``progress(step, done, total)``, called after each step and epoch.

    Returns:
        A :class:`~training.artifact.TrainedModel` whose signals and embeddings cover the whole train window.
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

    resolve_device(params.device)  # a bad device setting fails here, before any work
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

    fit_graph = window_graph(snapshot, data.fit, val_s, text, content_encoder, params, half_life)
    lap("graph")
    progress("graph", 1, 1)

    variants = {"hybrid": params.hybrid, **(extra_hybrids or {})}
    selection_args: dict[str, Any] = {
        "snapshot": snapshot,
        "train": data.train,
        "split": split,
        "params": params,
        "configs": variants,
        "half_life": half_life,
        "content_encoder": content_encoder,
        "text": text,
    }
    total_threads = torch.get_num_threads()
    selection = None
    if params.background_selection and params.selection_windows > 0:
        # beside the main fit: it needs nothing from it and is more than half a retrain's work
        threads = max(1, total_threads // 2)
        selection = background.start("selection", choose_residual_scales, selection_args, threads, progress)
        torch.set_num_threads(threads)
    else:
        scales = choose_residual_scales(**selection_args, progress=progress)
        lap("selection")
    try:
        model, history, best_epoch = train_gnn(fit_graph, data, params, progress)
        lap("train")
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
        # the correction is fitted at full weight whatever its scale, so the rankers need not wait
        fitted = {name: fit_ranker(fit_signals, data.val_queries, c) for name, c in variants.items()}
        lap("hybrid")
        if selection is not None:
            scales = selection.result()
            lap("selection_wait")
            timings["selection"] = round(selection.seconds, 3)
    finally:
        if selection is not None:
            selection.stop()
        torch.set_num_threads(total_threads)
    rankers: dict[str, tuple[HybridConfig, Ranker]] = {}
    val_metrics: dict[str, Any] = {"gnn": history[best_epoch - 1].val if history else {}}
    for i, (name, config) in enumerate(variants.items(), start=1):
        config = replace(config, residual_scale=scales[name][0])
        ranker = fitted[name]
        ranker.scale.fill_(config.residual_scale)
        rankers[name] = (config, ranker)
        val_metrics[name] = evaluate_recommender(
            HybridRecommender(fit_signals, ranker, config, name), data.val_queries
        ).as_dict()
        progress("hybrid", i, len(variants))
    calibration = _calibration(scales["hybrid"][1], fit_signals, rankers["hybrid"], data.val_queries, params)

    fitted_model = TrainedModel(
        product_ids=snapshot.product_ids,
        params=params,
        content_encoder=content_encoder,
        model=model.cpu(),
        gnn=fit_vectors,
        text=text,
        signals=fit_signals,
        rankers=rankers,
        half_life_days=half_life,
        split=split.as_dict(),
        history=history,
        best_epoch=best_epoch,
        val_metrics=val_metrics,
        timings=timings,
        sizes=data.sizes(),
        selection={name: details for name, (_, details) in scales.items()},
        calibration=calibration,
    )
    final = rebase(fitted_model, snapshot, text, data.train, end_s)
    lap("final")
    progress("final", 1, 1)
    return final


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


def _calibration(
    selection: dict[str, Any],
    fit_signals: HybridSignals,
    fitted: tuple[HybridConfig, Ranker],
    val_queries: EvalQueries,
    params: TrainParams,
) -> ScoreCalibration:
    """The held-out calibration the selection windows produced; without them (selection off, a short
    history) the validation window's, which is in-sample for the ranker and says so."""
    if "calibration" in selection:
        return ScoreCalibration.from_dict(selection.pop("calibration"))
    config, ranker = fitted
    lists = HybridRecommender(fit_signals, ranker, config).top_k(val_queries.unique_q, params.calibration_k)
    return ScoreCalibration.fit(
        hit_matrix(val_queries, lists),
        popularity_percentile(fit_signals.pop, fit_signals.seen)[val_queries.q],
        fit_signals.seen[val_queries.q],
        source="validation window (in-sample for the ranker: no selection windows)",
    )
