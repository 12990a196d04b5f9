"""Hyper-parameters of training: :class:`TrainParams` (the GNN and the selection of the residual
weight) and :class:`HybridConfig` (the hybrid's candidates, features and ranker), with the hybrid's
feature names (:data:`PAIR_SIGNALS`, :data:`HYBRID_FEATURES`).

Both configs round-trip through plain dicts (``as_dict`` / ``from_dict``): that is how a saved model
(:mod:`training.artifact`), a stored version and the worker's options carry them. ``from_dict``
ignores keys this version does not know, so older and newer dicts still load.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from training.aliases import FloatArray
from training.baselines import HALF_LIFE_GRID

__all__ = ["FEATURE_INDEX", "HYBRID_FEATURES", "PAIR_SIGNALS", "HybridConfig", "TrainParams"]

#: Pair signals: time-decayed basket co-occurrence (half-life tuned), the same with a short
#: half-life (recent shifts), and customer-level co-occurrence (same customers, any order).
PAIR_SIGNALS: tuple[str, ...] = ("dcooc", "scooc", "ccooc")

HYBRID_FEATURES: tuple[str, ...] = (
    *(f"{name}_{kind}" for name in PAIR_SIGNALS for kind in ("rel", "assoc")),
    "dcooc_log",
    "gnn",
    "text",
    "trend",
    "pop",
    "recency",
    "q_pop",
    "dpop",
)
#: position of each feature in :data:`HYBRID_FEATURES` (the last axis of a feature array)
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(HYBRID_FEATURES)}


@dataclass(frozen=True, slots=True)
class HybridConfig:
    """What the hybrid uses and how its ranker is fitted. ``use_gnn=False`` is the GNN ablation."""

    use_gnn: bool = True
    use_text: bool = True
    use_cooc: bool = True  # dcooc and scooc
    use_customers: bool = True  # ccooc
    # "residual" (time-decayed co-occurrence plus a learned, zero-initialised correction), "mlp" or
    # "linear" (Adam on the listwise loss), "blend" (coordinate ascent on the validation metric)
    ranker: str = "residual"
    #: weight of the residual ranker's learned correction (0: exactly time-decayed co-occurrence);
    #: :func:`training.fit.fit` chooses it on rolling windows inside the train window
    residual_scale: float = 1.0
    #: whether :func:`training.fit.fit` chooses ``residual_scale`` on rolling windows (else as given)
    select_scale: bool = True
    blend_rounds: int = 4
    members: int = 3  # seed ensemble of mlp/linear rankers
    hidden: int = 32
    n_candidates: int = 50
    steps: int = 300
    lr: float = 1e-2
    weight_decay: float = 1e-4
    batch_queries: int = 256
    simulated_cold: bool = True
    seed: int = 7

    def feature_mask(self) -> FloatArray:
        """``(F,)`` 1 for used features, 0 for ablated ones."""
        mask = np.ones(len(HYBRID_FEATURES), dtype=np.float32)
        off: list[str] = []
        if not self.use_cooc:
            off += ["dcooc_rel", "dcooc_assoc", "dcooc_log", "scooc_rel", "scooc_assoc"]
        if not self.use_customers:
            off += ["ccooc_rel", "ccooc_assoc"]
        if not self.use_gnn:
            off.append("gnn")
        if not self.use_text:
            off.append("text")
        mask[[FEATURE_INDEX[name] for name in off]] = 0
        return mask

    def uses(self, signal: str) -> bool:
        return self.use_customers if signal == "ccooc" else self.use_cooc

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HybridConfig:
        """A :class:`HybridConfig` from a dict, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, slots=True)
class TrainParams:
    """Every knob of :func:`training.fit.fit`, with the defaults used for ``docs/evaluation.md``."""

    encoder: str = "sage"  # sage | gat | gcn | mlp
    hidden_channels: int = 64
    out_channels: int = 64
    num_layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    lr: float = 3e-3
    weight_decay: float = 1e-5
    epochs: int = 60
    steps_per_epoch: int = 20
    batch_pairs: int = 1024
    loss: str = "softmax"  # softmax | bce
    negatives: str = "popularity"  # popularity | uniform
    num_negatives: int = 1024
    neg_alpha: float = 0.75
    logq_correction: bool = True  # subtract log sampling probability in the sampled softmax
    cold_fraction: float = 0.2  # share of nodes hidden per step (0 disables cold-start simulation)
    edge_dropout: float = 0.2
    max_neighbors: int = 32
    pair_half_life_days: float | None = 120.0  # recency weighting of the positive pairs
    half_life_days: float | None = None  # None: tuned on validation
    half_life_grid: tuple[float, ...] = HALF_LIFE_GRID
    trending_days: float = 30.0
    val_days: int = 28
    #: newest days a retrain holds out of every fit and scores the candidate and the active version on
    #: (:mod:`training.gate`); 0: no held-out window, the gate compares validation numbers
    gate_days: int = 14
    patience: int = 8
    max_tags: int = 256
    seed: int = 7
    device: str = "auto"
    threads: int | None = None
    hybrid: HybridConfig = field(default_factory=HybridConfig)
    # Choosing the residual ranker's correction weight
    # (:func:`training.selection.choose_residual_scales`): this many rolling held-out windows of
    # ``selection_days`` at the end of the train window (0: no choice, ``hybrid.residual_scale`` is
    # used as given).
    selection_windows: int = 3
    selection_days: int = 14
    #: run the selection in a second process beside the main GNN and rankers (half the threads each)
    background_selection: bool = True
    residual_grid: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    # List depth whose association scores are calibrated on held-out baskets
    # (:class:`training.calibration.ScoreCalibration`); deeper ranks keep the last rank's score.
    calibration_k: int = 20

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["half_life_grid"] = list(self.half_life_grid)
        out["residual_grid"] = list(self.residual_grid)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainParams:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("hybrid"), dict):
            values["hybrid"] = HybridConfig.from_dict(values["hybrid"])
        for name in ("half_life_grid", "residual_grid"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)
