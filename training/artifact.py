"""The trained model as serving sees it: :class:`TrainedModel` (what :func:`training.fit.fit` returns,
what :meth:`TrainedModel.save` writes and :meth:`TrainedModel.load` reads back), with the GNN's
vectors (:class:`GnnVectors`) and the training history (:class:`EpochRecord`) it carries.

Serving (:mod:`training.scoring`, the workers) imports this module, never the training loop, so a
worker that only scores does not depend on how the model was trained.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training.aliases import FloatArray, IntArray
from training.calibration import COLD_SEGMENT, ScoreCalibration, popularity_percentile
from training.graph import ContentEncoder
from training.hybrid import HybridRecommender
from training.interactions import CSR
from training.models import build_model
from training.models.link import LinkPredictor
from training.models.ranker import Ranker
from training.params import HybridConfig, TrainParams
from training.recommender import DotRecommender, Recommender
from training.signals import HybridSignals, PairSignal

__all__ = ["EpochRecord", "GnnVectors", "TrainedModel"]


@dataclass(slots=True)
class EpochRecord:
    """One epoch of history: mean training loss and validation metrics of the GNN alone."""

    epoch: int
    loss: float
    val: dict[str, Any]
    criterion: float
    seconds: float


@dataclass(frozen=True, slots=True)
class GnnVectors:
    """The trained GNN's vectors: a score is ``query[q] @ key[c]`` (see :mod:`training.models.link`).

    ``query_cold`` holds the query vector each node gets from content alone: its structural features
    zeroed and no edges, exactly what a real cold node gets in the full graph. All ``(N, D + 1)``.
    """

    key: FloatArray
    query: FloatArray
    query_cold: FloatArray

    def as_tuple(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        return self.key, self.query, self.query_cold


@dataclass(slots=True)
class TrainedModel:
    """What :func:`training.fit.fit` returns: everything needed to rank, score, evaluate and save.

    ``gnn`` are the final product vectors (train-window graph, :class:`GnnVectors`), ``text``
    ``(N, D_t)`` the text embeddings; ``signals`` the hybrid's inputs on the train window; ``rankers``
    the fitted rankers by variant name (``"hybrid"`` is the main one).
    """

    product_ids: list[str]
    params: TrainParams
    content_encoder: ContentEncoder
    model: LinkPredictor
    gnn: GnnVectors
    text: FloatArray
    signals: HybridSignals
    rankers: dict[str, tuple[HybridConfig, Ranker]]
    half_life_days: float
    split: dict[str, str | None]
    history: list[EpochRecord]
    best_epoch: int
    val_metrics: dict[str, Any]
    timings: dict[str, float]
    sizes: dict[str, int]
    #: per ranker variant, the residual correction weight chosen on rolling windows and the
    #: windows' warm metrics (:func:`training.selection.choose_residual_scales`)
    selection: dict[str, Any] = field(default_factory=dict)
    #: the complement scores' calibration, fitted on held-out baskets (:mod:`training.calibration`)
    calibration: ScoreCalibration | None = None
    #: each product's calibration segment as a source, derived once from ``signals`` on first use
    _segments: IntArray | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def index(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self.product_ids)}

    def complement_scores(self, query_idx: IntArray, k: int) -> FloatArray:
        """``(Q, k)`` calibrated complement scores by rank of the sources ``query_idx`` (``-1``: a
        product outside the model, a cold source): the held-out probability that the product at that
        rank is in the next basket holding the source."""
        if self.calibration is None:
            raise ValueError("this model has no score calibration (trained before calibrated scores)")
        if self._segments is None:
            percentile = popularity_percentile(self.signals.pop, self.signals.seen)
            self._segments = self.calibration.segments(percentile, self.signals.seen)
        q = np.asarray(query_idx, dtype=np.int64)
        segments = np.where(q >= 0, self._segments[np.maximum(q, 0)], COLD_SEGMENT)
        return self.calibration.scores(segments, k)

    def recommender(self, variant: str = "hybrid") -> Recommender:
        """``"gnn"`` (the encoder alone), ``"hybrid"`` or another fitted ranker variant."""
        if variant == "gnn":
            return DotRecommender(self.gnn.query, self.gnn.key, name=f"gnn_{self.params.encoder}")
        config, ranker = self.rankers[variant]
        return HybridRecommender(self.signals, ranker, config, name=variant)

    @torch.no_grad()
    def embed_content(self, content: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Content features ``(B, C)`` of products outside the graph -> their ``(B, D + 1)`` query
        and key vectors (no edges, cold structural features: the inductive path)."""
        self.model.eval()
        device = next(self.model.parameters()).device
        b = content.shape[0]
        n_struct = self.model.encoder.in_channels - content.shape[1]
        x = torch.cat([torch.from_numpy(content), torch.zeros(b, n_struct)], dim=1).to(device)
        empty = torch.zeros((2, 0), dtype=torch.long, device=device)
        z = self.model(x, empty, torch.zeros(0, device=device))
        return self.model.query_vectors(z).cpu().numpy(), self.model.key_vectors(z).cpu().numpy()

    # ------------------------------------------------------------------ persistence
    def save(self, directory: Path | str) -> Path:
        """Write ``model.pt`` (weights and arrays) and ``meta.json`` (params, history, metrics)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        s = self.signals
        arrays: dict[str, Any] = {
            "state_dict": self.model.state_dict(),
            "gnn_key": torch.from_numpy(self.gnn.key),
            "gnn_query": torch.from_numpy(self.gnn.query),
            "gnn_query_cold": torch.from_numpy(self.gnn.query_cold),
            "text": torch.from_numpy(self.text),
            "pairs": {
                name: {
                    "indptr": torch.from_numpy(sig.matrix.indptr),
                    "indices": torch.from_numpy(sig.matrix.indices),
                    "data": torch.from_numpy(sig.matrix.data),
                    "diag": torch.from_numpy(sig.diag),
                }
                for name, sig in s.pairs.items()
            },
            "trend": torch.from_numpy(s.trend),
            "pop": torch.from_numpy(s.pop),
            "recency": torch.from_numpy(s.recency),
            "seen": torch.from_numpy(s.seen),
            "rankers": {name: ranker.state_dict() for name, (_, ranker) in self.rankers.items()},
        }
        torch.save(arrays, path / "model.pt")
        meta = {
            "format": 1,
            "product_ids": self.product_ids,
            "params": self.params.as_dict(),
            "content_encoder": self.content_encoder.as_dict(),
            "in_channels": self.model.encoder.in_channels,
            "rankers": {name: asdict(config) for name, (config, _) in self.rankers.items()},
            "half_life_days": self.half_life_days,
            "split": self.split,
            "history": [asdict(h) for h in self.history],
            "best_epoch": self.best_epoch,
            "val_metrics": self.val_metrics,
            "timings": self.timings,
            "sizes": self.sizes,
            "selection": self.selection,
            "calibration": self.calibration.as_dict() if self.calibration is not None else None,
        }
        (path / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path | str, device: str = "cpu") -> TrainedModel:
        """Read what :meth:`save` wrote."""
        path = Path(directory)
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        arrays = torch.load(path / "model.pt", map_location=device, weights_only=True)
        params = TrainParams.from_dict(meta["params"])
        model = build_model(params, int(meta["in_channels"]))
        model.load_state_dict(arrays["state_dict"])
        model.to(torch.device(device)).eval()
        n = len(meta["product_ids"])
        pairs = {
            name: PairSignal(
                name,
                CSR(t["indptr"].numpy(), t["indices"].numpy(), t["data"].numpy(), (n, n)),
                t["diag"].numpy(),
            )
            for name, t in arrays["pairs"].items()
        }
        config = (
            HybridConfig.from_dict(meta["rankers"]["hybrid"])
            if "hybrid" in meta["rankers"]
            else params.hybrid
        )
        gnn = GnnVectors(
            arrays["gnn_key"].numpy(), arrays["gnn_query"].numpy(), arrays["gnn_query_cold"].numpy()
        )
        text = arrays["text"].numpy()
        text_n = text / np.maximum(np.linalg.norm(text, axis=1, keepdims=True), 1e-12)
        signals = HybridSignals(
            pairs=pairs,
            trend=arrays["trend"].numpy(),
            pop=arrays["pop"].numpy(),
            recency=arrays["recency"].numpy(),
            seen=arrays["seen"].numpy(),
            gnn=gnn.key,
            gnn_query=gnn.query,
            gnn_cold=gnn.query_cold,
            text=text_n.astype(np.float32),
        )
        signals.prepare(config.n_candidates)
        rankers: dict[str, tuple[HybridConfig, Ranker]] = {}
        for name, cfg in meta["rankers"].items():
            hc = HybridConfig.from_dict(cfg)
            state = arrays["rankers"][name]
            members = (
                len([key for key in state if key.startswith("linear.") and key.endswith(".weight")]) // 2
            )
            ranker = Ranker(
                len(arrays["rankers"][name]["mean"]), kind=hc.ranker, hidden=hc.hidden, members=members
            )
            state = dict(arrays["rankers"][name])
            state.setdefault("scale", torch.ones(()))  # saved before the residual ranker existed
            state.setdefault("log_alpha", torch.zeros(0))
            ranker.load_state_dict(state)
            ranker.eval()
            rankers[name] = (hc, ranker)
        return cls(
            product_ids=list(meta["product_ids"]),
            params=params,
            content_encoder=ContentEncoder.from_dict(meta["content_encoder"]),
            model=model,
            gnn=gnn,
            text=text,
            signals=signals,
            rankers=rankers,
            half_life_days=float(meta["half_life_days"]),
            split=meta["split"],
            history=[EpochRecord(**h) for h in meta["history"]],
            best_epoch=int(meta["best_epoch"]),
            val_metrics=meta["val_metrics"],
            timings=meta["timings"],
            sizes=meta["sizes"],
            selection=meta.get("selection", {}),
            calibration=ScoreCalibration.from_dict(meta["calibration"]) if meta.get("calibration") else None,
        )
