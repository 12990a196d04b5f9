"""Graph convolutional product encoder (Kipf and Welling, 2017) over weighted edges.

.. math::

    \\operatorname{Conv}(h)_i = \\sum_{j \\in \\mathcal{N}(i) \\cup \\{i\\}}
        \\frac{w_{ij}}{\\sqrt{\\hat d_i \\hat d_j}} W h_j, \\qquad \\hat d_i = 1 + \\sum_j w_{ij}

A node without neighbours keeps :math:`W h_i` (its self-loop).
"""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import GCNConv

from training.models.base import ProductEncoder


class GCNEncoder(ProductEncoder):
    """:class:`~training.models.base.ProductEncoder` with ``GCNConv`` layers using ``edge_weight``."""

    def make_conv(self, channels: int) -> nn.Module:
        conv: nn.Module = GCNConv(channels, channels, add_self_loops=True, normalize=True)
        return conv

    def conv(self, layer: nn.Module, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> Tensor:
        out: Tensor = layer(h, edge_index, edge_weight)
        return out
