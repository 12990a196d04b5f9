"""Product encoders for link prediction: GraphSAGE, GAT, GCN, and an MLP ablation.

Pick one by name with :func:`build_encoder`. Every encoder maps node features ``(N, F)`` and the
co-purchase graph to unit-norm embeddings ``(N, D)``; the association score of two products is
:math:`s_{ij} = \\tau \\, z_i^\\top z_j + b_j` (:mod:`training.models.link`). :func:`build_model`
is the encoder named by :class:`~training.params.TrainParams` under that link predictor: what
:mod:`training.train` trains and :meth:`training.artifact.TrainedModel.load` rebuilds.
"""

from __future__ import annotations

from training.models.base import ProductEncoder
from training.models.gat import GATEncoder
from training.models.gcn import GCNEncoder
from training.models.link import LinkPredictor
from training.models.mlp import MLPEncoder
from training.models.sage import SAGEEncoder
from training.params import TrainParams

__all__ = [
    "ENCODERS",
    "GATEncoder",
    "GCNEncoder",
    "MLPEncoder",
    "ProductEncoder",
    "SAGEEncoder",
    "build_encoder",
    "build_model",
]

ENCODERS: dict[str, type[ProductEncoder]] = {
    "sage": SAGEEncoder,
    "gat": GATEncoder,
    "gcn": GCNEncoder,
    "mlp": MLPEncoder,
}


def build_encoder(
    name: str,
    in_channels: int,
    hidden_channels: int = 128,
    out_channels: int = 64,
    num_layers: int = 2,
    dropout: float = 0.1,
    heads: int = 4,
) -> ProductEncoder:
    """The encoder called ``name`` (``sage``, ``gat``, ``gcn`` or ``mlp``)."""
    try:
        cls = ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}") from None
    kwargs: dict[str, int | float] = {
        "hidden_channels": hidden_channels,
        "out_channels": out_channels,
        "num_layers": num_layers,
        "dropout": dropout,
    }
    if cls is GATEncoder:
        kwargs["heads"] = heads
    return cls(in_channels, **kwargs)  # type: ignore[arg-type]


def build_model(params: TrainParams, in_channels: int) -> LinkPredictor:
    """A fresh :class:`~training.models.link.LinkPredictor` over the encoder ``params`` name, for
    node features of width ``in_channels``."""
    encoder = build_encoder(
        params.encoder,
        in_channels,
        hidden_channels=params.hidden_channels,
        out_channels=params.out_channels,
        num_layers=params.num_layers,
        dropout=params.dropout,
        heads=params.heads,
    )
    return LinkPredictor(encoder)
