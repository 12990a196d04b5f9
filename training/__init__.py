"""The learning core: catalogue snapshot -> text embeddings -> GNN + hybrid ranker -> top-K rows.

Modules (imported on use, so ``import training.snapshot`` does not load torch-geometric):

- :mod:`training.snapshot`: :class:`~training.snapshot.CatalogueSnapshot` from dataset files or Neo4j
- :mod:`training.embedding`: text embeddings, text hashes, stale detection; :mod:`training.text_models`
  where each text model's weights come from (all-MiniLM-L6-v2, multilingual-e5-small)
- :mod:`training.split`, :mod:`training.evaluate`, :mod:`training.metrics`: the protocol of ``DESIGN.md``
- :mod:`training.baselines`: popularity, trending, co-occurrence, time-decayed co-occurrence, text cosine
- :mod:`training.graph`, :mod:`training.models`, :mod:`training.sampling`: the co-purchase graph and encoders
- :mod:`training.params`: :class:`~training.params.TrainParams`, :class:`~training.params.HybridConfig`
- :mod:`training.signals`: the hybrid's signals, candidates and features; :mod:`training.models.ranker`
  its ranker, :mod:`training.fit_ranker` the ranker's fit, :mod:`training.hybrid` the serve-time
  recommender
- :mod:`training.train`: the GNN loop; :mod:`training.selection`: the residual weight;
  :mod:`training.fit`: ``fit``, the whole training; :mod:`training.artifact`: the saved model
- :mod:`training.scoring`: top-K association rows per product, and the incremental path
- :mod:`training.experiment`, :mod:`training.report`: ``affinity eval`` and ``docs/evaluation.md``
"""

__all__ = [
    "aliases",
    "artifact",
    "baselines",
    "embedding",
    "evaluate",
    "experiment",
    "fit",
    "fit_ranker",
    "graph",
    "hybrid",
    "interactions",
    "metrics",
    "models",
    "params",
    "recommender",
    "report",
    "sampling",
    "scoring",
    "selection",
    "signals",
    "snapshot",
    "split",
    "synthetic",
    "text_models",
    "train",
]
