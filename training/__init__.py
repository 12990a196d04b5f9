"""The learning core: catalogue snapshot -> text embeddings -> GNN + hybrid ranker -> top-K rows.

Modules (imported on use, so ``import training.snapshot`` does not load torch-geometric):

- :mod:`training.snapshot`: :class:`~training.snapshot.CatalogueSnapshot` from dataset files or Neo4j
- :mod:`training.embedding`: all-MiniLM-L6-v2 text embeddings, text hashes, stale detection
- :mod:`training.split`, :mod:`training.evaluate`, :mod:`training.metrics`: the protocol of ``DESIGN.md``
- :mod:`training.baselines`: popularity, trending, co-occurrence, time-decayed co-occurrence, text cosine
- :mod:`training.graph`, :mod:`training.models`, :mod:`training.sampling`: the co-purchase graph and encoders
- :mod:`training.hybrid`: candidates and the learned ranker; :mod:`training.train`: ``fit``
- :mod:`training.scoring`: top-K association rows per product, and the incremental path
- :mod:`training.experiment`, :mod:`training.report`: ``affinity eval`` and ``docs/evaluation.md``
"""

__all__ = [
    "baselines",
    "embedding",
    "evaluate",
    "experiment",
    "graph",
    "hybrid",
    "interactions",
    "metrics",
    "models",
    "recommender",
    "report",
    "sampling",
    "scoring",
    "snapshot",
    "split",
    "synthetic",
    "train",
]
