"""Encoders: forward shapes, unit norms, reset, repr, and the inductive path."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.utils import coalesce

from training.models import ENCODERS, build_encoder
from training.models.link import LinkPredictor


def _graph(n: int = 12, f: int = 9) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(n, f)
    src = torch.tensor([0, 1, 2, 3, 4, 5])
    dst = torch.tensor([1, 2, 3, 4, 5, 0])
    edge_index = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], dim=1)
    return x, edge_index, torch.rand(edge_index.shape[1])


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_forward_shape_and_unit_norm(name: str) -> None:
    x, ei, ew = _graph()
    enc = build_encoder(name, 9, hidden_channels=16, out_channels=8, num_layers=2, heads=4)
    z = enc(x, ei, ew)
    assert z.shape == (12, 8)
    assert torch.allclose(z.norm(dim=1), torch.ones(12), atol=1e-5)
    assert name.upper()[:3] in repr(enc).upper() and "num_layers=2" in repr(enc)


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_isolated_node_depends_only_on_its_features(name: str) -> None:
    """The inductive property: a node without edges (a cold product) is placed from its own
    features, the same in the full graph as in a graph without any edges."""
    x, ei, ew = _graph()
    enc = build_encoder(name, 9, hidden_channels=16, out_channels=8).eval()
    with torch.no_grad():
        full = enc(x, ei, ew)
        alone = enc(x, torch.zeros((2, 0), dtype=torch.long), torch.zeros(0))
    isolated = torch.arange(6, 12)
    assert torch.allclose(full[isolated], alone[isolated], atol=1e-5)


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_reset_parameters_is_seeded_and_complete(name: str) -> None:
    x, ei, ew = _graph()
    enc = build_encoder(name, 9, hidden_channels=16, out_channels=8)
    other = build_encoder(name, 9, hidden_channels=16, out_channels=8)
    with torch.no_grad():
        for p in enc.parameters():
            p.add_(1.0)  # every parameter moved
    torch.manual_seed(1)
    enc.reset_parameters()
    torch.manual_seed(1)
    other.reset_parameters()
    assert torch.allclose(enc.embed(x, ei, ew), other.embed(x, ei, ew))


def test_link_predictor_vectors_reproduce_scores() -> None:
    x, ei, ew = _graph()
    model = LinkPredictor(build_encoder("gcn", 9, hidden_channels=16, out_channels=8)).eval()
    with torch.no_grad():
        z = model(x, ei, ew)
        direct = model.score_all(z, z)
        via_vectors = model.query_vectors(z) @ model.key_vectors(z).T
    assert torch.allclose(direct, via_vectors, atol=1e-5)
    assert model.score(z[:3], z[3:6]).shape == (3,)


def test_unknown_encoder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoder"):
        build_encoder("transformer", 4)


def test_gat_needs_divisible_heads() -> None:
    with pytest.raises(ValueError, match="divisible"):
        build_encoder("gat", 4, hidden_channels=10, heads=4)


def test_sage_sparse_adjacency_matches_the_edge_list() -> None:
    """The CSR neighbour mean is the same function as PyG's gather-scatter over ``edge_index``
    (on a directed graph without repeated edges, like every co-purchase graph): same outputs, same
    gradients. A repeated edge counts once in the CSR matrix."""
    torch.manual_seed(3)
    n = 40
    x = torch.randn(n, 9)
    ei = coalesce(torch.randint(0, n, (2, 160)), num_nodes=n)
    enc = build_encoder("sage", 9, hidden_channels=16, out_channels=8).eval()
    reference = build_encoder("sage", 9, hidden_channels=16, out_channels=8).eval()
    reference.load_state_dict(enc.state_dict())
    reference.adjacency = lambda edge_index, num_nodes: edge_index  # type: ignore[method-assign]

    weight = torch.randn(n, 8)
    z, z_ref = enc(x, ei), reference(x, ei)
    (z * weight).sum().backward()
    (z_ref * weight).sum().backward()
    assert torch.allclose(z, z_ref, atol=1e-5)
    for p, p_ref in zip(enc.parameters(), reference.parameters(), strict=True):
        assert p.grad is not None and p_ref.grad is not None
        assert torch.allclose(p.grad, p_ref.grad, atol=1e-4)
    adjacency = enc.adjacency(ei, n)
    assert adjacency.layout == torch.sparse_csr  # the layers really get a sparse matrix
    repeated = torch.cat([ei, ei[:, :5]], dim=1)
    with torch.no_grad():
        assert torch.allclose(enc(x, repeated), z, atol=1e-6)
