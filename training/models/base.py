"""The shared skeleton of the product encoders: input projection, residual message passing, output.

.. math::

    h^{(0)} = \\operatorname{GELU}(W_{in} x + b_{in}), \\qquad
    h^{(l+1)} = h^{(l)} + \\operatorname{Dropout}(\\operatorname{GELU}(\\operatorname{LN}(
        \\operatorname{Conv}^{(l)}(h^{(l)}, \\mathcal{E})))), \\qquad
    z = \\frac{W_{out} h^{(L)}}{\\lVert W_{out} h^{(L)} \\rVert_2}.

The residual path is what makes the encoder inductive: a node without edges (a cold product, or a
node hidden by cold-start simulation) still gets :math:`z` from its own features, and every layer
sees the same kind of input whether or not the node has neighbours. Subclasses choose
:math:`\\operatorname{Conv}` (GraphSAGE, GAT, GCN; none for the MLP ablation).

Works on any (sub)graph: ``forward(x, edge_index, edge_weight)`` with ``x`` ``(N, F)``,
``edge_index`` ``(2, E)``, ``edge_weight`` ``(E,)`` or ``None`` returns ``(N, out_channels)``;
the first ``batch_size`` rows of a ``NeighborLoader`` batch are its seed nodes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import cast

import torch
from torch import Tensor, nn


class ProductEncoder(nn.Module, ABC):
    """Base encoder ``x (N, F) -> z (N, out_channels)``, rows of unit norm.

    Args:
        in_channels: node feature size ``F``.
        hidden_channels: width of every hidden layer (default 128).
        out_channels: embedding size (default 64).
        num_layers: message-passing layers (default 2).
        dropout: dropout on each layer's update (default 0.1).
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 128,
        out_channels: int = 64,
        num_layers: int = 2,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.dropout = dropout
        self.input = nn.Linear(in_channels, hidden_channels)
        self.convs = nn.ModuleList([self.make_conv(hidden_channels) for _ in range(num_layers)])
        self.norms = nn.ModuleList([nn.LayerNorm(hidden_channels) for _ in range(num_layers)])
        self.output = nn.Linear(hidden_channels, out_channels)
        self.reset_parameters()

    @abstractmethod
    def make_conv(self, channels: int) -> nn.Module:
        """One message-passing layer ``channels -> channels``."""

    def adjacency(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        """What every layer of one forward pass receives as its graph: ``edge_index`` itself here.

        Built once per forward pass, so a subclass can convert the edge list into a sparse matrix
        once and share it between its layers (:class:`~training.models.sage.SAGEEncoder`).
        """
        return edge_index

    def conv(self, layer: nn.Module, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> Tensor:
        """Apply ``layer``; subclasses whose layer takes edge weights override this."""
        out: Tensor = layer(h, edge_index)
        return out

    def reset_parameters(self) -> None:
        self.input.reset_parameters()
        for conv in self.convs:
            reset = cast(Callable[[], None] | None, getattr(conv, "reset_parameters", None))
            if reset is not None:
                reset()
        for norm in self.norms:
            cast(nn.LayerNorm, norm).reset_parameters()
        self.output.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        h = nn.functional.gelu(self.input(x))
        h = nn.functional.dropout(h, p=self.dropout, training=self.training)
        graph = self.adjacency(edge_index, x.shape[0])
        for layer, norm in zip(self.convs, self.norms, strict=True):
            update = nn.functional.gelu(norm(self.conv(layer, h, graph, edge_weight)))
            h = h + nn.functional.dropout(update, p=self.dropout, training=self.training)
        return nn.functional.normalize(self.output(h), p=2.0, dim=-1)

    def extra_repr_args(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr_args()
        return (
            f"{type(self).__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
            f"num_layers={self.num_layers}, dropout={self.dropout}{', ' + extra if extra else ''})"
        )

    @torch.no_grad()
    def embed(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Inference: eval mode, no gradients; returns ``(N, out_channels)``."""
        was_training = self.training
        self.eval()
        try:
            out: Tensor = self(x, edge_index, edge_weight)
            return out
        finally:
            self.train(was_training)
