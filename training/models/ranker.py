"""The hybrid's ranker: scores a query's candidates from their features, with a warm and a cold head.

:math:`s_{qc} = g_{h(q)}(\\tilde f_{qc})` with standardised, ablation-masked features
(:data:`~training.params.HYBRID_FEATURES`) and a separate head :math:`h(q)` for warm and cold
queries; :math:`g` is linear plus a one-hidden-layer MLP (``kind="mlp"``), linear only, or a weighted
blend (``"blend"``). The default, ``"residual"``, keeps the MLP cold head but makes the warm head
time-decayed co-occurrence plus a zero-initialised learned correction of weight :math:`\\lambda`
(:func:`baseline_score`). Fitting is :mod:`training.fit_ranker`; serving is
:class:`training.hybrid.HybridRecommender`.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn

from training.params import FEATURE_INDEX

__all__ = ["Ranker", "baseline_score", "listwise_loss"]


class Ranker(nn.Module):
    """Scores ``(B, C, F)`` features into ``(B, C)``, with a warm and a cold head.

    ``kind="linear"`` (and ``"blend"``): :math:`s = w_h^\\top \\tilde f`; ``kind="mlp"``:
    :math:`s = w_h^\\top \\tilde f + v_h^\\top \\operatorname{GELU}(U_h \\tilde f)`, where
    :math:`\\tilde f = m \\odot (f - \\mu) / \\sigma` is standardised and masked by the config.
    With ``members > 1`` the score is the mean of independently trained members (a seed ensemble,
    which steadies a ranker fitted on a few weeks of validation baskets).

    ``kind="residual"``: the warm head is time-decayed co-occurrence plus a learned correction,

    .. math::

        s_{qc} = \\alpha \\log\\big(A_{qc} / \\max_j A_{qj} + \\epsilon\\, \\mathrm{dpop}_c\\big)
            + \\lambda \\big(w^\\top \\tilde f + v^\\top \\operatorname{GELU}(U \\tilde f)\\big),

    with :math:`\\alpha > 0` learned, :math:`\\epsilon = 10^{-6}` (so the first term orders exactly
    like the baseline: co-occurring products by :math:`A_{qc}`, then the rest by decayed popularity)
    and :math:`w, v` initialised at zero: the fit starts at the baseline and moves off it only as far
    as the training loss pays for. :math:`\\lambda` (``scale``,
    :attr:`~training.params.HybridConfig.residual_scale`) shrinks the correction; ``scale = 0`` *is*
    time-decayed co-occurrence. The cold head is the MLP's.
    """

    mean: Tensor
    std: Tensor
    mask: Tensor
    scale: Tensor

    def __init__(self, num_features: int, kind: str = "mlp", hidden: int = 32, members: int = 1) -> None:
        super().__init__()
        if kind not in ("residual", "mlp", "linear", "blend"):
            raise ValueError(f"unknown ranker {kind!r}: residual, blend, linear or mlp")
        self.kind = kind
        self.num_features = num_features
        self.hidden = hidden
        self.members = members
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("std", torch.ones(num_features))
        self.register_buffer("mask", torch.ones(num_features))
        self.register_buffer("scale", torch.ones(()))
        # residual: log alpha of each member's baseline term
        self.log_alpha = nn.Parameter(torch.zeros(members if kind == "residual" else 0))
        # head h of member m is at index 2 * m + h (h = 0 warm, 1 cold)
        self.linear = nn.ModuleList([nn.Linear(num_features, 1) for _ in range(2 * members)])
        self.mlp = nn.ModuleList(
            [
                nn.Sequential(nn.Linear(num_features, hidden), nn.GELU(), nn.Linear(hidden, 1))
                for _ in range(2 * members if kind in ("mlp", "residual") else 0)
            ]
        )
        self.reset_parameters()

    def head_linear(self, head: int, member: int = 0) -> nn.Linear:
        """The linear part of head ``head`` (0 warm, 1 cold) of ``member``."""
        return cast(nn.Linear, self.linear[2 * member + head])

    def member_parameters(self, member: int) -> list[nn.Parameter]:
        """The trainable parameters of one member."""
        out: list[nn.Parameter] = []
        for head in range(2):
            out += list(self.linear[2 * member + head].parameters())
            if self.kind in ("mlp", "residual"):
                out += list(self.mlp[2 * member + head].parameters())
        if self.kind == "residual":
            out.append(self.log_alpha)
        return out

    def reset_member(self, member: int) -> None:
        """Fresh initial weights for one member; a residual warm correction starts at exactly zero."""
        for head in range(2):
            index = 2 * member + head
            cast(nn.Linear, self.linear[index]).reset_parameters()
            if self.kind in ("mlp", "residual"):
                for module in cast(nn.Sequential, self.mlp[index]):
                    if isinstance(module, nn.Linear):
                        module.reset_parameters()
        if self.kind == "residual":
            with torch.no_grad():
                warm_linear = cast(nn.Linear, self.linear[2 * member])
                warm_linear.weight.zero_()
                warm_linear.bias.zero_()
                last = cast(nn.Linear, cast(nn.Sequential, self.mlp[2 * member])[-1])
                last.weight.zero_()
                last.bias.zero_()
                self.log_alpha[member] = 0.0

    def reset_parameters(self) -> None:
        for member in range(self.members):
            self.reset_member(member)

    def __repr__(self) -> str:
        name = type(self).__name__
        return (
            f"{name}(num_features={self.num_features}, kind={self.kind!r}, hidden={self.hidden}, "
            f"members={self.members})"
        )

    def member_forward(self, features: Tensor, cold: Tensor, member: int) -> Tensor:
        """Scores ``(B, C)`` of one member."""
        features = features[..., : self.num_features]  # a ranker saved before later features
        f = (features - self.mean) / self.std * self.mask
        heads = []
        for head in range(2):
            s = self.linear[2 * member + head](f).squeeze(-1)
            if self.kind in ("mlp", "residual"):
                s = s + self.mlp[2 * member + head](f).squeeze(-1)
            heads.append(s)
        if self.kind == "residual":
            heads[0] = self.log_alpha[member].exp() * baseline_score(features) + self.scale * heads[0]
        return torch.where(cold.unsqueeze(1), heads[1], heads[0])

    def forward(self, features: Tensor, cold: Tensor) -> Tensor:
        """``(B, C, F)`` features and ``(B,)`` bool cold flags -> ``(B, C)`` scores (member mean)."""
        total = self.member_forward(features, cold, 0)
        for member in range(1, self.members):
            total = total + self.member_forward(features, cold, member)
        return total / self.members


def baseline_score(features: Tensor) -> Tensor:
    """``(B, C, F)`` raw features -> ``(B, C)`` log score that orders candidates exactly as
    time-decayed co-occurrence does: by :math:`A_{qc}` (as a share of the row maximum), then, where
    :math:`A_{qc} = 0`, by decayed popularity (the baseline's fill)."""
    rel = features[..., FEATURE_INDEX["dcooc_rel"]]
    return torch.log(rel + 1e-6 * features[..., FEATURE_INDEX["dpop"]] + 1e-9)


def listwise_loss(scores: Tensor, weights: Tensor, valid: Tensor) -> Tensor:
    """Listwise softmax loss over each row's valid candidates: :math:`-\\sum w \\log p / \\sum w`,
    ``scores``/``weights``/``valid`` ``(B, C)`` (invalid candidates take no probability)."""
    logp = torch.log_softmax(scores.masked_fill(~valid, float("-inf")), dim=1).masked_fill(~valid, 0.0)
    return -(weights * logp).sum() / weights.sum().clamp(min=1e-9)
