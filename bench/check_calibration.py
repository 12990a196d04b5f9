"""Calibrated complement scores against baskets the fit never saw (docs/evaluation.md, "Calibrated
association scores"): fit with the production defaults on the Online Retail train window, score every
product's complements at K = 20, and compare each (test pair, rank) cell's calibrated score with
whether that product was in the test basket.

    .venv/bin/python bench/check_calibration.py [--model-dir DIR] [--refit]

Prints the reliability tables (quantile bins, per rank), the list lengths with the default arguments
against the previous default (raw score >= 0), and whether any list's scores increase; writes the
numbers as JSON to var/reports/calibration.json. The fitted model is kept in --model-dir (default
var/reports/calibration-model) and reused unless --refit.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from affinity.settings import get_settings
from cli.offline_eval import read_dataset
from ingest.online_retail import load_online_retail, write_input_files
from training.artifact import TrainedModel
from training.embedding import embed_with_cache
from training.evaluate import hit_matrix
from training.fit import fit
from training.params import TrainParams
from training.scoring import score_complements
from training.split import ONLINE_RETAIL_SPLIT, make_split

K = 20


def _model(directory: Path, refit: bool) -> tuple[TrainedModel, Any]:
    settings = get_settings()
    data_dir = settings.data_dir / "reports" / "calibration-data"
    if not data_dir.exists():
        write_input_files(load_online_retail(settings.dataset_path), data_dir)
    snapshot = read_dataset(data_dir)
    text = embed_with_cache(
        snapshot.products, settings.data_dir / "cache" / "text-embeddings.npz", settings.text_model, "cpu",
        settings.embedding_batch_size,
    )  # fmt: skip
    if refit or not (directory / "meta.json").exists():
        fit(snapshot, text, TrainParams(), ONLINE_RETAIL_SPLIT).save(directory)
    return TrainedModel.load(directory), snapshot


def _lists(
    model: TrainedModel,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``(N, K)`` targets, calibrated scores and raw scores of every product's complement list."""
    n, index = len(model.product_ids), model.index
    targets = np.full((n, K), -1, dtype=np.int64)
    score = np.full((n, K), np.nan)
    raw = np.full((n, K), np.nan)
    for block in score_complements(model, K):
        for row in block:
            s = index[row.source_id]
            targets[s, row.rank - 1] = index[row.target_id]
            score[s, row.rank - 1], raw[s, row.rank - 1] = row.score, row.raw_score
    return targets, score, raw


def _bins(pred: npt.NDArray[np.float64], obs: npt.NDArray[np.float64], n_bins: int = 10) -> dict[str, Any]:
    order = np.argsort(pred, kind="stable")
    rows = [
        {"mean_pred": float(pred[c].mean()), "observed": float(obs[c].mean()), "cells": len(c)}
        for c in np.array_split(order, n_bins)
        if len(c)
    ]
    ece = sum(r["cells"] * abs(r["mean_pred"] - r["observed"]) for r in rows) / max(1, len(pred))
    return {"cells": len(pred), "mean_pred": float(pred.mean()), "observed": float(obs.mean()), "ece": ece,
            "bins": rows}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model-dir", type=Path, default=get_settings().data_dir / "reports" / "calibration-model"
    )
    parser.add_argument("--refit", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model, snapshot = _model(args.model_dir, args.refit)
    targets, score, raw = _lists(model)

    test = make_split(snapshot, ONLINE_RETAIL_SPLIT).test_queries
    ranked = targets[test.unique_q]
    hits = hit_matrix(test, ranked)
    valid = ranked[test.q_slot] >= 0
    pred, obs = score[test.q][valid], hits[valid].astype(np.float64)
    warm = np.broadcast_to(test.warm[:, None], valid.shape)[valid]
    rank = np.broadcast_to(np.arange(1, K + 1)[None, :], valid.shape)[valid]
    length = (targets >= 0).sum(axis=1)
    kept_by_old_default = (np.nan_to_num(raw, nan=-np.inf) >= 0).sum(axis=1)
    steps = np.diff(score, axis=1)
    result = {
        "reliability": {
            name: _bins(pred[m], obs[m])
            for name, m in (("all", warm | ~warm), ("warm", warm), ("cold", ~warm))
        },
        "per_rank": [
            {"rank": r, "mean_pred": float(pred[rank == r].mean()), "observed": float(obs[rank == r].mean())}
            for r in range(1, 11)
        ],
        "lists": {
            "products": len(length),
            "answer_10_with_defaults": int((length >= 10).sum()),
            "answered_under_10_with_old_default": int((kept_by_old_default < 10).sum()),
        },
        "increasing_steps": int((steps[np.isfinite(steps)] > 1e-12).sum()),
        "calibration": model.calibration.as_dict() if model.calibration else None,
    }
    out = get_settings().data_dir / "reports" / "calibration.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "calibration"}, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
