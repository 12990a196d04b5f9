"""GraphSAGE product encoder (Hamilton et al., 2017) with mean aggregation.

.. math::

    \\operatorname{Conv}(h)_i = W_1 h_i + W_2 \\frac{1}{|\\mathcal{N}(i)|} \\sum_{j \\in \\mathcal{N}(i)} h_j

A node without neighbours keeps :math:`W_1 h_i`: the root weight carries its own features.

The neighbour mean is a sparse-dense product with the transposed adjacency in CSR form rather than
PyG's gather-scatter over the edge list: the gather materialises one ``hidden``-wide message per edge
(and its gradient), ``E x hidden`` floats a layer, which does not fit in memory for catalogues of a
million products; the CSR product holds only the ``N x hidden`` result. Same function, faster and
smaller; measured in ``docs/benchmarks.md`` and ``docs/scaling.md`` (``bench/bench_adjacency.py``).
"""

from __future__ import annotations

import warnings

from torch import Tensor, nn
from torch_geometric.nn import SAGEConv
from torch_geometric.utils import to_torch_csr_tensor

from training.models.base import ProductEncoder


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
        with warnings.catch_warnings():
            # torch flags every CSR tensor as beta and unchecked; PyG builds a valid one here.
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")
            warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")
            adjacency: Tensor = to_torch_csr_tensor(edge_index.flip(0), size=(num_nodes, num_nodes))
        return adjacency
