"""Render a :class:`~training.rolling.RollingReport` as Markdown: per-window and mean scores of every
method, warm and cold, and the paired intervals (``rolling.md`` and ``rolling.json``)."""

from __future__ import annotations

import json
from pathlib import Path

from training.rolling import METRICS, SUBSETS, RollingReport

__all__ = ["rolling_markdown", "write_rolling_report"]

_NAMES = {"recall": "Recall@10", "ndcg": "NDCG@10"}


def _table(report: RollingReport, subset: str, metric: str, main: str) -> list[str]:
    key = f"{subset} {metric}"
    lines = [
        f"### {subset} {_NAMES[metric]}",
        "",
        "| method | group | " + " | ".join(report.windows) + " | mean | seed sd |",
        "| --- | --- | " + " | ".join("---:" for _ in report.windows) + " | ---: | ---: |",
    ]
    for method, group in report.groups.items():
        cells = [f"{report.window_mean(method, key, w):.4f}" for w in report.windows]
        mean = f"{report.mean(method, key):.4f}"
        spread = f"{report.seed_spread(method, key):.4f}" if group != "baseline" else "—"
        name = f"**{method}**" if method == main else method
        if method == report.strongest[key]:
            name += " (strongest baseline)"
        lines.append(f"| {name} | {group} | " + " | ".join(cells) + f" | {mean} | {spread} |")
    pairs = ", ".join(f"{w} {report.pairs[w][subset]:,}" for w in report.windows)
    return [*lines, "", f"{subset.capitalize()} pairs per window: {pairs}.", ""]


def rolling_markdown(report: RollingReport, main: str = "hybrid (sage)") -> str:
    """Tables per subset and metric, then every interval."""
    lines = [
        f"Test windows: {', '.join(report.windows)}; seeds {', '.join(map(str, report.seeds))}; "
        "scores are means over seeds, `mean` the mean over windows, `seed sd` the standard deviation "
        "over seeds of that mean.",
        "",
    ]
    for subset in SUBSETS:
        for metric in METRICS:
            lines += _table(report, subset, metric, main)
    lines += [
        "### Differences, 95% intervals (baskets and seeds resampled per window)",
        "",
        "| comparison | " + " | ".join(f"{s} {_NAMES[m]}" for s in SUBSETS for m in METRICS) + " |",
        "| --- | " + " | ".join("---" for _ in SUBSETS for _ in METRICS) + " |",
    ]
    for comparison, values in report.intervals.items():
        cells = []
        for subset in SUBSETS:
            for metric in METRICS:
                diff, low, high = values[f"{subset} {metric}"]
                mark = "**" if low > 0 or high < 0 else ""
                cells.append(f"{mark}{diff:+.4f} [{low:+.4f}, {high:+.4f}]{mark}")
        lines.append(f"| {comparison} | " + " | ".join(cells) + " |")
    strongest = ", ".join(f"{k}: {v}" for k, v in report.strongest.items())
    lines += [
        "",
        f"Strongest baseline by its mean over the windows: {strongest}. Bold: the interval excludes zero.",
        "",
    ]
    return "\n".join(lines)


def write_rolling_report(report: RollingReport, directory: Path, main: str = "hybrid (sage)") -> Path:
    """Write ``rolling.md`` and ``rolling.json`` into ``directory``; return the Markdown path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rolling.json").write_text(json.dumps(report.as_dict(), indent=1), encoding="utf-8")
    path = directory / "rolling.md"
    path.write_text("# Rolling-origin evaluation\n\n" + rolling_markdown(report, main), encoding="utf-8")
    return path
