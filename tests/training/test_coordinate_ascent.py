"""Coordinate ascent over grids: it finds a separable optimum, needs more passes for a coupled one,
and keeps the starting weight on ties."""

from __future__ import annotations

from training.coordinate_ascent import coordinate_ascent

GRID = (0.0, 0.5, 1.0, 1.5, 2.0)


def test_it_finds_the_best_grid_point_of_a_separable_value() -> None:
    best, seen = coordinate_ascent(
        {"a": 0.0, "b": 0.0}, {"a": GRID, "b": GRID}, lambda w: -((w["a"] - 1.5) ** 2) - (w["b"] - 0.5) ** 2
    )
    assert best == {"a": 1.5, "b": 0.5}
    assert seen["a=1.5,b=0.5"] == 0.0


def test_a_coupled_value_needs_more_passes() -> None:
    # the best b is a, the best a lies between 2 and b: each pass moves both a step further
    def value(w: dict[str, float]) -> float:
        return -((w["a"] - 2.0) ** 2) - (w["b"] - w["a"]) ** 2

    one, _ = coordinate_ascent({"a": 0.0, "b": 0.0}, {"b": GRID, "a": GRID}, value, rounds=1)
    more, _ = coordinate_ascent({"a": 0.0, "b": 0.0}, {"b": GRID, "a": GRID}, value, rounds=10)
    assert one == {"a": 1.0, "b": 0.0}
    assert more == {"a": 1.5, "b": 1.5} and value(more) > value(one)


def test_ties_keep_the_current_weight() -> None:
    best, _ = coordinate_ascent({"a": 1.0}, {"a": GRID}, lambda w: 0.0)
    assert best == {"a": 1.0}
