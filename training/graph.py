"""Snapshot -> PyG graph: the product co-purchase graph with content and structural node features.

Nodes are products. Edges join products bought together in the window: with time-decayed
co-occurrence :math:`C^{(h)}` (:mod:`training.interactions`), each product keeps its
``max_neighbors`` strongest partners and the union is made symmetric; the edge weight is
:math:`\\log(1 + C^{(h)}_{ij})`. Keeping the strongest neighbours bounds the degree (and the cost of
message passing) and drops the long tail of one-off pairs.

Node features :math:`x_i = [c_i \\,\\|\\, s_i]`:

* content :math:`c_i` (known for every product, also a brand-new one): the 384-d text embedding,
  a multi-hot of the catalogue's tags (tags on at least two products, at most ``max_tags``) and a
  standardised log price;
* structure :math:`s_i` (:data:`STRUCTURE_FEATURES`, all zero for a product never seen in a basket):
  log popularity, log decayed popularity, log trending count, recency of the last sale, age since the
  first sale, log degree, and a "seen" flag. Cold-start simulation zeroes them for the hidden nodes
  exactly as they are for a real cold product.

The result is a ``torch_geometric.data.Data`` (``x``, ``edge_index``, ``edge_weight``), so a
``NeighborLoader`` can batch it when the catalogue outgrows full-batch training.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Data

from training.aliases import FloatArray
from training.interactions import DAY_S, BasketArrays, cooccurrence, decay_weights, item_counts
from training.snapshot import ProductText

__all__ = [
    "STRUCTURE_FEATURES",
    "ContentEncoder",
    "ProductGraph",
    "build_graph",
    "structure_features",
]


STRUCTURE_FEATURES: tuple[str, ...] = (
    "log_popularity",
    "log_decayed_popularity",
    "log_trending",
    "recency",
    "age",
    "log_degree",
    "seen",
)


@dataclass(frozen=True, slots=True)
class ContentEncoder:
    """Turns a product's text embedding, tags and price into its content feature vector.

    Fitted once on the catalogue (:meth:`fit`) and stored with the model, so a new product gets the
    same features at scoring time (``score_new_product``).
    """

    tags: tuple[str, ...]
    price_mean: float
    price_std: float

    @classmethod
    def fit(
        cls, products: Sequence[ProductText], max_tags: int = 256, min_products: int = 2
    ) -> ContentEncoder:
        counts = Counter(tag for p in products for tag in set(p.tags))
        vocab = sorted((t for t, c in counts.items() if c >= min_products), key=lambda t: (-counts[t], t))[
            :max_tags
        ]
        prices = np.log1p([max(p.price, 0.0) for p in products if p.price is not None] or [0.0])
        return cls(tuple(sorted(vocab)), float(np.mean(prices)), float(np.std(prices) or 1.0))

    @property
    def extra_dim(self) -> int:
        """Features beside the text embedding: one per tag, plus price and has-price."""
        return len(self.tags) + 2

    def transform(self, products: Sequence[ProductText], text_embeddings: FloatArray) -> FloatArray:
        """``(N, D_text)`` embeddings -> ``(N, D_text + extra_dim)`` content features."""
        index = {t: i for i, t in enumerate(self.tags)}
        extra = np.zeros((len(products), self.extra_dim), dtype=np.float32)
        for row, product in enumerate(products):
            for tag in product.tags:
                col = index.get(tag)
                if col is not None:
                    extra[row, col] = 1.0
            if product.price is not None:
                extra[row, -2] = (np.log1p(max(product.price, 0.0)) - self.price_mean) / self.price_std
                extra[row, -1] = 1.0
        return np.concatenate([np.asarray(text_embeddings, dtype=np.float32), extra], axis=1)

    def as_dict(self) -> dict[str, object]:
        return {"tags": list(self.tags), "price_mean": self.price_mean, "price_std": self.price_std}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ContentEncoder:
        tags = data["tags"]
        assert isinstance(tags, list)
        return cls(tuple(str(t) for t in tags), float(str(data["price_mean"])), float(str(data["price_std"])))


@dataclass(slots=True)
class ProductGraph:
    """The co-purchase graph over the snapshot's products.

    Shapes: ``content`` ``(N, C)``, ``structure`` ``(N, S)``, ``edge_index`` ``(2, E)`` (both
    directions), ``edge_weight`` ``(E,)``, ``seen`` ``(N,)`` bool.
    """

    content: Tensor
    structure: Tensor
    edge_index: Tensor
    edge_weight: Tensor
    seen: Tensor

    @property
    def num_nodes(self) -> int:
        return int(self.content.shape[0])

    @property
    def num_features(self) -> int:
        return int(self.content.shape[1] + self.structure.shape[1])

    def x(self, hidden: Tensor | None = None) -> Tensor:
        """Node features ``(N, C + S)``; rows in the bool mask ``hidden`` get cold structure (zeros)."""
        structure = self.structure
        if hidden is not None:
            structure = structure * (~hidden).unsqueeze(1).to(structure.dtype)
        return torch.cat([self.content, structure], dim=1)

    def to(self, device: torch.device) -> ProductGraph:
        return ProductGraph(
            self.content.to(device),
            self.structure.to(device),
            self.edge_index.to(device),
            self.edge_weight.to(device),
            self.seen.to(device),
        )

    def to_data(self) -> Data:
        """As ``torch_geometric.data.Data(x, edge_index, edge_weight)``."""
        return Data(
            x=self.x(), edge_index=self.edge_index, edge_weight=self.edge_weight, num_nodes=self.num_nodes
        )


def structure_features(
    baskets: BasketArrays, ref_s: float, half_life_days: float, trending_days: float = 30.0
) -> FloatArray:
    """``(N, len(STRUCTURE_FEATURES) - 1)`` structural features (without degree), zero for unseen products."""
    n = baskets.n_products
    pop = item_counts(baskets)
    decayed = item_counts(baskets, decay_weights(baskets.ts, ref_s, half_life_days))
    trend = item_counts(baskets.window(ref_s - trending_days * DAY_S, ref_s))
    line_ts = np.repeat(baskets.ts, baskets.sizes)
    last = np.full(n, -np.inf)
    np.maximum.at(last, baskets.items, line_ts)
    first = np.full(n, np.inf)
    np.minimum.at(first, baskets.items, line_ts)
    seen = pop > 0
    recency = np.where(seen, np.exp(-np.maximum(ref_s - last, 0) / (30 * DAY_S)), 0.0)
    age = np.where(seen, 1.0 - np.exp(-np.maximum(ref_s - first, 0) / (90 * DAY_S)), 0.0)

    def scaled_log(v: FloatArray) -> FloatArray:
        top = float(np.log1p(v.max())) if len(v) and v.max() > 0 else 1.0
        out: FloatArray = (np.log1p(v) / top).astype(np.float32)
        return out

    return np.stack(
        [scaled_log(pop), scaled_log(decayed), scaled_log(trend), recency, age, seen.astype(np.float64)],
        axis=1,
    ).astype(np.float32)


def build_graph(
    products: Sequence[ProductText],
    baskets: BasketArrays,
    ref_s: float,
    text_embeddings: FloatArray,
    content_encoder: ContentEncoder,
    half_life_days: float = 60.0,
    max_neighbors: int = 32,
    trending_days: float = 30.0,
) -> ProductGraph:
    """The graph of ``baskets`` (a window ending at ``ref_s``) over ``products``."""
    n = len(products)
    if baskets.n_products != n or len(text_embeddings) != n:
        raise ValueError("products, baskets and embeddings must share the product index")
    weights = decay_weights(baskets.ts, ref_s, half_life_days)
    strongest = cooccurrence(baskets, weights).top_k_per_row(max_neighbors)
    rows, cols, vals = strongest.to_coo()
    both_r = np.concatenate([rows, cols])
    both_c = np.concatenate([cols, rows])
    both_v = np.concatenate([vals, vals])
    keys, first = np.unique(both_r * n + both_c, return_index=True)
    edge_index = np.stack([keys // n, keys % n]).astype(np.int64)
    edge_weight = np.log1p(both_v[first]).astype(np.float32)

    struct = structure_features(baskets, ref_s, half_life_days, trending_days)
    degree = np.bincount(edge_index[0], minlength=n).astype(np.float32)
    log_degree = np.log1p(degree) / max(float(np.log1p(degree.max())) if n else 1.0, 1e-6)
    seen_flag = struct[:, -1:]
    structure = np.concatenate([struct[:, :-1], log_degree[:, None], seen_flag], axis=1)
    content = content_encoder.transform(products, text_embeddings)
    return ProductGraph(
        content=torch.from_numpy(content),
        structure=torch.from_numpy(structure.astype(np.float32)),
        edge_index=torch.from_numpy(edge_index),
        edge_weight=torch.from_numpy(edge_weight),
        seen=torch.from_numpy(seen_flag[:, 0] > 0),
    )
