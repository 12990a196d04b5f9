"""GraphSAGE product encoder (Hamilton et al., 2017) with mean aggregation.

.. math::

    \\operatorname{Conv}(h)_i = W_1 h_i + W_2 \\frac{1}{|\\mathcal{N}(i)|} \\sum_{j \\in \\mathcal{N}(i)} h_j

A node without neighbours keeps :math:`W_1 h_i`: the root weight carries its own features.
"""

from __future__ import annotations

from torch import nn
from torch_geometric.nn import SAGEConv

from training.models.base import ProductEncoder


class SAGEEncoder(ProductEncoder):
    """:class:`~training.models.base.ProductEncoder` with ``SAGEConv(aggr="mean")`` layers.

    Edge weights are ignored (mean over the kept strongest neighbours).
    """

    def make_conv(self, channels: int) -> nn.Module:
        conv: nn.Module = SAGEConv(channels, channels, aggr="mean")
        return conv
