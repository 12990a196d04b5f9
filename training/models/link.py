"""Link prediction on top of a product encoder: a scaled cosine plus a candidate bias.

.. math::

    s_{ij} = \\tau \\, z_i^\\top z_j + b_j, \\qquad b_j = w^\\top z_j, \\qquad
    \\tau = e^{\\theta} \\text{ (learned, clamped to } [1, 100])

``z`` are the encoder's unit-norm rows, so :math:`z_i^\\top z_j` is a cosine and :math:`\\tau` a
temperature. The bias :math:`b_j` lets the model express how likely a product is to be bought at all
(trained with the log-Q correction of the sampled softmax, it carries the popularity the negatives
remove), separately from how well it fits the query.

Every score is one dot product of a *query vector* :math:`[\\tau z_i, 1]` with a *key vector*
:math:`[z_j, b_j]` (:meth:`LinkPredictor.query_vectors`, :meth:`LinkPredictor.key_vectors`), so top-K
search over keys is plain maximum inner product search.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from training.models.base import ProductEncoder


class LinkPredictor(nn.Module):
    """``encoder`` plus a learned logit scale.

    Args:
        encoder: any :class:`~training.models.base.ProductEncoder`.
        init_scale: initial :math:`\\tau` (default 10).
    """

    def __init__(self, encoder: ProductEncoder, init_scale: float = 10.0) -> None:
        super().__init__()
        self.encoder = encoder
        self.init_scale = init_scale
        self.log_scale = nn.Parameter(torch.tensor(math.log(init_scale)))
        self.bias = nn.Linear(encoder.out_channels, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.bias.reset_parameters()
        with torch.no_grad():
            self.log_scale.fill_(math.log(self.init_scale))

    @property
    def scale(self) -> Tensor:
        return self.log_scale.clamp(0.0, math.log(100.0)).exp()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Node embeddings ``(N, D)``."""
        out: Tensor = self.encoder(x, edge_index, edge_weight)
        return out

    def candidate_bias(self, z: Tensor) -> Tensor:
        """:math:`b_j` for ``(M, D)`` embeddings -> ``(M,)``."""
        out: Tensor = self.bias(z).squeeze(-1)
        return out

    def score(self, z_src: Tensor, z_dst: Tensor) -> Tensor:
        """Logits of aligned pairs: ``(P, D), (P, D) -> (P,)``."""
        return self.scale * (z_src * z_dst).sum(dim=-1) + self.candidate_bias(z_dst)

    def score_all(self, z_src: Tensor, z_dst: Tensor) -> Tensor:
        """Logits of every pair: ``(P, D), (M, D) -> (P, M)``."""
        return self.scale * z_src @ z_dst.T + self.candidate_bias(z_dst).unsqueeze(0)

    @torch.no_grad()
    def query_vectors(self, z: Tensor) -> Tensor:
        """``(N, D) -> (N, D + 1)``: :math:`[\\tau z_i, 1]`."""
        return torch.cat([self.scale * z, torch.ones_like(z[:, :1])], dim=1)

    @torch.no_grad()
    def key_vectors(self, z: Tensor) -> Tensor:
        """``(N, D) -> (N, D + 1)``: :math:`[z_j, b_j]`."""
        return torch.cat([z, self.candidate_bias(z).unsqueeze(1)], dim=1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.encoder!r}, init_scale={self.init_scale})"
