"""The no-message-passing ablation: the same encoder with each layer a plain linear map.

.. math::

    \\operatorname{Conv}(h)_i = W h_i

It sees a product's own features only, so it shows what message passing adds.
"""

from __future__ import annotations

from torch import Tensor, nn

from training.models.base import ProductEncoder


class MLPEncoder(ProductEncoder):
    """:class:`~training.models.base.ProductEncoder` whose layers ignore the graph."""

    def make_conv(self, channels: int) -> nn.Module:
        return nn.Linear(channels, channels)

    def conv(self, layer: nn.Module, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> Tensor:
        out: Tensor = layer(h)
        return out
