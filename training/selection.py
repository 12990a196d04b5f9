"""Choosing the residual ranker's correction weight :math:`\\lambda` (:func:`choose_residual_scales`)
on rolling held-out windows at the end of the train window, scored with a selection GNN trained on
the baskets before them, so no window is scored with features that have seen it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from training.aliases import FloatArray, Progress, no_progress
from training.calibration import ScoreCalibration, popularity_percentile
from training.evaluate import EvalQueries, build_queries, evaluate_top_k, hit_matrix
from training.fit_ranker import fit_ranker
from training.graph import ContentEncoder
from training.hybrid import HybridRecommender
from training.interactions import BasketArrays
from training.params import HybridConfig, TrainParams
from training.signals import HybridSignals, build_signals
from training.snapshot import CatalogueSnapshot
from training.split import TimeSplit, make_split
from training.train import embed_nodes, train_gnn, window_graph

__all__ = ["Scales", "choose_residual_scales"]

#: ``name -> (lambda, details)`` (:func:`choose_residual_scales`)
Scales = dict[str, tuple[float, dict[str, Any]]]


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
) -> Scales:
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

    def skip(why: str) -> Scales:
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

    sel_graph = window_graph(
        snapshot, sel.fit, starts[0].timestamp(), text, content_encoder, params, half_life
    )
    model, _, best_epoch = train_gnn(sel_graph, sel, params, gnn_progress)
    ends = [*starts[1:], end]
    n_candidates = max(c.n_candidates for c in residual.values())
    signals: dict[int, HybridSignals] = {}
    for i, t in enumerate(starts):
        before = train.window(None, t.timestamp())
        graph = window_graph(snapshot, before, t.timestamp(), text, content_encoder, params, half_life)
        signals[i] = build_signals(
            before, t.timestamp(), half_life, embed_nodes(model, graph).as_tuple(), text,
            params.trending_days, n_candidates,
        )  # fmt: skip
    # Every pair of a scored window (warm and cold queries): the scale is chosen on the warm pairs, the
    # association scores are calibrated on all of them.
    pairs: list[tuple[int, EvalQueries, EvalQueries]] = []
    for i in range(windows):
        seen_fit = train.window(None, starts[i].timestamp()).seen()
        fit_q = build_queries(train.window(starts[i].timestamp(), ends[i].timestamp()), seen_fit)
        seen_eval = train.window(None, starts[i + 1].timestamp()).seen()
        eval_q = build_queries(train.window(starts[i + 1].timestamp(), ends[i + 1].timestamp()), seen_eval)
        if len(fit_q) and eval_q.warm.any():
            pairs.append((i, fit_q, eval_q))
    if not pairs:
        return skip("no warm pairs in the selection windows")
    depth = max(10, params.calibration_k)
    for n, (name, config) in enumerate(residual.items(), start=1):
        scores: dict[float, list[float]] = {lam: [] for lam in grid}
        hits: dict[float, list[npt.NDArray[np.bool_]]] = {lam: [] for lam in grid}
        percentile, warm = [], []
        rows: list[dict[str, Any]] = []
        for i, fit_q, eval_q in pairs:
            ranker = fit_ranker(signals[i], fit_q, config)
            row: dict[str, Any] = {
                "fit": [starts[i].isoformat(), ends[i].isoformat()],
                "scored": [starts[i + 1].isoformat(), ends[i + 1].isoformat()],
                "pairs": int(eval_q.warm.sum()),
            }
            lists = HybridRecommender(signals[i + 1], ranker, config).top_k_per_scale(
                eval_q.unique_q, depth, grid
            )
            for lam in grid:
                # the metrics of the warm pairs do not depend on the cold pairs beside them
                result = evaluate_top_k(eval_q, lists[lam][:, :10])
                scores[lam].append(0.5 * (result.warm.recall + result.warm.ndcg))
                row[f"{lam:g}"] = {"recall": result.warm.recall, "ndcg": result.warm.ndcg}
                hits[lam].append(hit_matrix(eval_q, lists[lam]))
            window = signals[i + 1]
            percentile.append(popularity_percentile(window.pop, window.seen)[eval_q.q])
            warm.append(window.seen[eval_q.q])
            rows.append(row)
        mean = {lam: float(np.mean(v)) for lam, v in scores.items()}
        chosen = max(grid, key=lambda lam: (round(mean[lam], 6), -lam))
        calibration = ScoreCalibration.fit(
            np.concatenate(hits[chosen]),
            np.concatenate(percentile),
            np.concatenate(warm),
            source=f"{len(pairs)} held-out selection windows, {starts[1].date()} .. {end.date()}",
        )
        details: dict[str, Any] = {
            "scale": chosen,
            "criterion": {f"{k:g}": v for k, v in mean.items()},
            "windows": rows,
            "selection_gnn_best_epoch": best_epoch,
            "calibration": calibration.as_dict(),
        }
        out[name] = (float(chosen), details)
        progress("selection", n, len(residual))
    return out
