"""A trained model's learned weights applied to another catalogue or another window of baskets.

What stays is what was learned (the GNN's weights, the rankers, the half-life, the calibration); what
is recomputed is what comes from the data (the co-purchase graph, the GNN's vectors, the hybrid's pair
signals). :func:`training.fit.fit` ends with it (weights chosen before the validation window, applied
to the whole train window); the activation gate uses it to score the active version on the
candidate's held-out window, and the retrain to serve the gated weights with the freshest statistics.
"""

from __future__ import annotations

from dataclasses import replace

from training.aliases import FloatArray
from training.artifact import TrainedModel
from training.interactions import BasketArrays
from training.signals import build_signals
from training.snapshot import CatalogueSnapshot
from training.train import embed_nodes, window_graph

__all__ = ["rebase"]


def rebase(
    model: TrainedModel, snapshot: CatalogueSnapshot, text: FloatArray, baskets: BasketArrays, end_s: float
) -> TrainedModel:
    """``model``'s learned weights applied to ``snapshot``'s catalogue and the statistics of ``baskets``
    (a window ending at ``end_s``, epoch seconds): the graph, the GNN's vectors and the hybrid's pair
    signals are recomputed; the GNN, the rankers, the half-life and the calibration are kept.

    ``text`` ``(N, D_t)`` is aligned with ``snapshot.products``. Raises ``ValueError`` when the model
    cannot read this catalogue's features (another text model's dimensions)."""
    params = model.params
    graph = window_graph(snapshot, baskets, end_s, text, model.content_encoder, params, model.half_life_days)
    expected = model.model.encoder.in_channels
    if graph.num_features != expected:
        raise ValueError(
            f"the model reads {expected} node features, this catalogue gives {graph.num_features} "
            "(a different text model or tag vocabulary)"
        )
    vectors = embed_nodes(model.model.to(graph.content.device), graph)
    model.model.cpu()
    signals = build_signals(
        baskets,
        end_s,
        model.half_life_days,
        vectors.as_tuple(),
        text,
        params.trending_days,
        params.hybrid.n_candidates,
    )
    sizes = {**model.sizes, "edges": int(graph.edge_index.shape[1]), "features": graph.num_features}
    return replace(
        model, product_ids=snapshot.product_ids, gnn=vectors, text=text, signals=signals, sizes=sizes
    )
