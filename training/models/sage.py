"""GraphSAGE product encoder (Hamilton et al., 2017) with mean aggregation.

.. math::

    \\operatorname{Conv}(h)_i = W_1 h_i + W_2 \\frac{1}{|\\mathcal{N}(i)|} \\sum_{j \\in \\mathcal{N}(i)} h_j

A node without neighbours keeps :math:`W_1 h_i`: the root weight carries its own features.

The neighbour mean is a sparse-dense product with the transposed adjacency in CSR form rather than
PyG's gather-scatter over the edge list: the gather materialises one ``hidden``-wide message per edge
(and its gradient), ``E x 64`` floats a layer, which is what made a 1M-product graph (37M edges)
too large for a 24 GB machine; the CSR product holds only the ``N x 64`` result. Same function;
1.7-2.6x faster and 1.5-1.8x less working memory a step from 30k to 1M products on 2 CPU cores
(``bench/bench_adjacency.py``, ``docs/scaling.md``).
"""

from __future__ import annotations

import warnings

from torch import Tensor, nn
from torch_geometric.nn import SAGEConv
from torch_geometric.utils import to_torch_csr_tensor

from training.models.base import ProductEncoder

# torch flags every CSR tensor as beta and unchecked; PyG builds a valid one per forward pass.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")
warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")


class SAGEEncoder(ProductEncoder):
    """:class:`~training.models.base.ProductEncoder` with ``SAGEConv(aggr="mean")`` layers.

    Edge weights are ignored (mean over the kept strongest neighbours). Edges are a set: a repeated
    edge counts once (:func:`~training.graph.build_graph` never repeats one).
    """

    def make_conv(self, channels: int) -> nn.Module:
        conv: nn.Module = SAGEConv(channels, channels, aggr="mean")
        return conv

    def adjacency(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        """``A^T`` as a CSR matrix: row ``i`` lists the sources of the edges into ``i``, so that
        ``A^T h`` with mean reduction is each node's neighbour mean (PyG's ``adj_t`` convention)."""
        adjacency: Tensor = to_torch_csr_tensor(edge_index.flip(0), size=(num_nodes, num_nodes))
        return adjacency
