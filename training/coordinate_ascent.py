"""Coordinate ascent over a few weights on a grid each (Metzler and Croft, "Linear feature-based
models for information retrieval", 2007): the query-time weights of the served customer model are
chosen this way on validation, maximising the evaluation criterion itself rather than a surrogate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["coordinate_ascent"]


def coordinate_ascent(
    start: Mapping[str, float],
    grids: Mapping[str, tuple[float, ...]],
    value: Callable[[dict[str, float]], float],
    rounds: int = 3,
) -> tuple[dict[str, float], dict[str, float]]:
    """The weights (from ``start``) that ``value`` ranks best, moving one weight at a time to the best
    point of its grid, for up to ``rounds`` passes (stops early when a pass moves nothing). Values are
    compared to 6 decimals, as the grid picks: a tie keeps the current weight. Returns the weights and
    every evaluated point's value (key ``name=value,...``)."""
    current = dict(start)
    seen: dict[str, float] = {}

    def evaluate(point: dict[str, float]) -> float:
        key = ",".join(f"{name}={point[name]:g}" for name in sorted(point))
        if key not in seen:
            seen[key] = round(float(value(point)), 6)
        return seen[key]

    best = evaluate(current)
    for _ in range(rounds):
        moved = False
        for name, grid in grids.items():
            for w in grid:
                candidate = {**current, name: w}
                v = evaluate(candidate)
                if v > best:
                    best, current, moved = v, candidate, True
        if not moved:
            break
    return current, seen
