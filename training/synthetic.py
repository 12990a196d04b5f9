"""Synthetic catalogues with learnable structure, for tests and benchmarks (never for reported quality).

Products belong to themes; a theme has words that appear in its products' titles and tags, so text
carries signal about co-purchase. Baskets pick a theme (theme popularity drifts seasonally), then
products of that theme already launched, weighted by a Zipf popularity, plus some noise. A share of
products launches late, so a time split has cold products.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from graph_schema import EMBEDDING_DIMENSIONS
from training.snapshot import Basket, CatalogueSnapshot, ProductText

__all__ = ["make_synthetic_snapshot", "random_embeddings"]

_COLOURS = ("red", "blue", "green", "pink", "white", "black", "gold", "silver", "ivory", "teal")
_TYPES = ("mug", "candle", "bag", "card", "box", "lantern", "cushion", "tin", "sign", "frame", "clock")
_THEMES = (
    "christmas", "garden", "kitchen", "party", "vintage", "heart", "spaceboy", "retrospot", "woodland",
    "doily", "circus", "paisley", "regency", "owl", "bird", "star", "skull", "rose", "lace", "dolly",
)  # fmt: skip


def make_synthetic_snapshot(
    n_products: int = 300,
    n_baskets: int = 2000,
    n_themes: int = 10,
    days: int = 300,
    late_share: float = 0.1,
    mean_basket: float = 6.0,
    seed: int = 0,
    start: datetime = datetime(2011, 1, 1, tzinfo=UTC),
) -> CatalogueSnapshot:
    """A seeded synthetic :class:`CatalogueSnapshot` of ``n_products`` and ``n_baskets``."""
    rng = np.random.default_rng(seed)
    n_themes = max(1, n_themes)
    theme_names = [_THEMES[t % len(_THEMES)] + ("" if t < len(_THEMES) else str(t)) for t in range(n_themes)]
    theme = rng.integers(0, n_themes, size=n_products)
    launch = np.where(
        rng.random(n_products) < late_share, rng.uniform(0.7 * days, days, size=n_products), 0.0
    )
    weight = 1.0 / (1.0 + rng.permutation(n_products)) ** 0.8
    products: list[ProductText] = []
    for i in range(n_products):
        colour = _COLOURS[int(rng.integers(len(_COLOURS)))]
        kind = _TYPES[int(rng.integers(len(_TYPES)))]
        name = theme_names[int(theme[i])]
        products.append(
            ProductText(
                id=f"P{i:06d}",
                title=f"{colour} {name} {kind}".upper(),
                description=f"a {kind} from the {name} range in {colour}",
                tags=(name, colour, kind),
                category=("Home", kind.title()),
                price=float(np.round(rng.uniform(0.5, 20.0), 2)),
            )
        )
    members = [np.flatnonzero(theme == t) for t in range(n_themes)]
    phase = rng.uniform(0, 2 * np.pi, size=n_themes)
    ts_days = np.sort(rng.uniform(0, days, size=n_baskets))
    baskets: list[Basket] = []
    for b, t in enumerate(ts_days):
        season = 1.0 + 0.8 * np.sin(2 * np.pi * t / 120.0 + phase)
        t_theme = int(rng.choice(n_themes, p=season / season.sum()))
        pool = members[t_theme][launch[members[t_theme]] <= t]
        size = int(min(max(2, rng.geometric(1.0 / mean_basket)), 40))
        chosen: set[int] = set()
        if len(pool):
            p = weight[pool] / weight[pool].sum()
            chosen.update(int(x) for x in rng.choice(pool, size=min(size, len(pool)), replace=False, p=p))
        live = np.flatnonzero(launch <= t)
        if rng.random() < 0.5 and len(live):
            chosen.add(int(rng.choice(live)))
        if not chosen:
            continue
        baskets.append(
            Basket(
                order_id=f"O{b:07d}",
                customer_id=f"C{int(rng.integers(0, max(1, n_baskets // 5))):05d}",
                ts=start + timedelta(days=float(t)),
                product_ids=tuple(products[i].id for i in sorted(chosen)),
            )
        )
    return CatalogueSnapshot(products=products, baskets=baskets)


def random_embeddings(n: int, dim: int = EMBEDDING_DIMENSIONS, seed: int = 0) -> np.ndarray:
    """``(n, dim)`` float32 unit vectors (for scoring benchmarks)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x
