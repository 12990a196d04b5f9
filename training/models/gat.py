"""Graph attention product encoder (GATv2, Brody et al., 2022) with the edge weight as edge feature.

.. math::

    \\operatorname{Conv}(h)_i = \\Big\\Vert_{k=1}^{K} \\sum_{j \\in \\mathcal{N}(i) \\cup \\{i\\}}
        \\alpha^{k}_{ij} W^{k} h_j, \\qquad
    \\alpha^{k}_{ij} = \\operatorname{softmax}_j\\big(a^{k\\top} \\operatorname{LeakyReLU}(
        W^{k} [h_i \\Vert h_j \\Vert w_{ij}])\\big)

with :math:`K` heads of ``channels / K`` each, concatenated. Self-loops let a node attend to itself,
so a node without neighbours keeps :math:`W h_i`.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import GATv2Conv

from training.models.base import ProductEncoder


class GATEncoder(ProductEncoder):
    """:class:`~training.models.base.ProductEncoder` with ``GATv2Conv`` layers (``heads`` heads).

    Args:
        heads: attention heads per layer (default 4); ``hidden_channels`` must be divisible by it.
        **kwargs: as :class:`~training.models.base.ProductEncoder`.
    """

    def __init__(self, in_channels: int, *args: int | float, heads: int = 4, **kwargs: int | float) -> None:
        self.heads = heads
        super().__init__(in_channels, *args, **kwargs)  # type: ignore[arg-type]

    def make_conv(self, channels: int) -> nn.Module:
        if channels % self.heads:
            raise ValueError(f"hidden_channels={channels} is not divisible by heads={self.heads}")
        conv: nn.Module = GATv2Conv(
            channels, channels // self.heads, heads=self.heads, edge_dim=1, add_self_loops=True
        )
        return conv

    def conv(self, layer: nn.Module, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> Tensor:
        attr = None if edge_weight is None else edge_weight.view(-1, 1)
        out: Tensor = layer(h, edge_index, edge_attr=attr)
        return out

    def extra_repr_args(self) -> str:
        return f"heads={self.heads}"
