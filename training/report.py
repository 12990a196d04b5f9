"""Render an :class:`~training.experiment.EvaluationReport`: Markdown tables and PNG plots.

``write_report(report, directory)`` writes

* ``evaluation.md``: split dates and sizes, the test table (HR@10, Recall@10, NDCG@10 overall, warm
  and cold) for every baseline, GNN, hybrid and ablation, the verdict against the strongest
  baseline, and the validation half-life search;
* ``training_curves.png``: loss and validation criterion per epoch of each GNN;
* ``metric_bars.png``: Recall@10 and NDCG@10, warm and cold, per method;
* ``report.json``: the raw numbers (re-render with :func:`load_report`).

Plots use matplotlib's non-interactive ``Agg`` backend (headless workers and CI).
"""

from __future__ import annotations

import json
from pathlib import Path

from training.experiment import EvaluationReport

__all__ = ["load_report", "markdown", "plot_metric_bars", "plot_training_curves", "write_report"]

SUBSETS = ("overall", "warm", "cold")
METRICS = (("hr", "HR@10"), ("recall", "Recall@10"), ("ndcg", "NDCG@10"))


def _fmt(value: float) -> str:
    return "—" if value != value else f"{value:.4f}"  # nan check


def markdown(report: EvaluationReport, main: str = "hybrid (sage)", images: bool = True) -> str:
    """The report as Markdown (tables of the test period, then the verdict)."""
    s = report.split
    z = report.sizes
    lines = [
        "## Split",
        "",
        "| period | from | to (exclusive) |",
        "| --- | --- | --- |",
        f"| fit (model fitting) | {s['train_start'] or 'first basket'} | {s['val_start']} |",
        f"| validation (selection only) | {s['val_start']} | {s['train_end']} |",
        f"| test | {s['train_end']} | {s['test_end'] or 'last basket'} |",
        "",
        "| size | value |",
        "| --- | --- |",
        *[f"| {k.replace('_', ' ')} | {v:,} |" for k, v in z.items()],
        "",
        f"Co-occurrence half-life chosen on validation: **{report.half_life_days:g} days** "
        f"(validation warm NDCG@10: "
        + ", ".join(f"{h} d {v:.4f}" for h, v in report.half_life_val.items())
        + ").",
        "",
        "## Test results (K = 10)",
        "",
        "| method | group | "
        + " | ".join(f"{label} {sub}" for sub in SUBSETS for _, label in METRICS)
        + " |",
        "| --- | --- | " + " | ".join("---:" for _ in SUBSETS for _ in METRICS) + " |",
    ]
    for row in report.rows:
        cells = [_fmt(row.result.get(sub, metric)) for sub in SUBSETS for metric, _ in METRICS]
        name = f"**{row.name}**" if row.name == main else row.name
        lines.append(f"| {name} | {row.group} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Pairs: " + ", ".join(f"{sub} {report.rows[0].result.get(sub, 'n'):,.0f}" for sub in SUBSETS),
        "",
    ]
    if any(r.name == main for r in report.rows):
        lines += [
            f"## {main} against the strongest baseline",
            "",
            "| subset and metric | model | strongest baseline | baseline value | lift "
            "| difference, 95% basket-bootstrap interval | beats |",
            "| --- | ---: | --- | ---: | ---: | --- | --- |",
        ]
        for key, v in report.verdict(main).items():
            low, high = float(v["ci_low"]), float(v["ci_high"])
            diff = float(v["model"]) - float(v["baseline_value"])
            lines.append(
                f"| {key} | {float(v['model']):.4f} | {v['baseline']} | {float(v['baseline_value']):.4f} "
                f"| {float(v['lift']):+.1%} | {diff:+.4f} [{low:+.4f}, {high:+.4f}] "
                f"| {'yes' if v['beats'] else '**no**'} |"
            )
        lines.append("")
    lines += _validation_lines(report)
    lines += _selection_lines(report)
    if report.timings:
        lines += ["## Timings (seconds)", "", "| step | s |", "| --- | ---: |"]
        lines += [f"| {k} | {v:.1f} |" for k, v in report.timings.items()]
        lines.append("")
    if images:
        lines += ["![training curves](training_curves.png)", "", "![metric bars](metric_bars.png)", ""]
    return "\n".join(lines)


def _validation_lines(report: EvaluationReport) -> list[str]:
    """Validation metrics of each row (the weeks before the test; in-sample for fitted rankers)."""
    rows = [r for r in report.rows if r.val and "warm" in r.val]
    if not rows:
        return []
    lines = [
        "## Validation (K = 10)",
        "",
        "Baselines fitted on the fit period and the models' rankers fitted on the validation baskets "
        "themselves (in-sample for rankers).",
        "",
        "| method | Recall@10 warm | NDCG@10 warm | Recall@10 cold | NDCG@10 cold |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        assert r.val is not None
        cells = [_fmt(float(r.val[sub][metric])) for sub in ("warm", "cold") for metric in ("recall", "ndcg")]
        lines.append(f"| {r.name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _selection_lines(report: EvaluationReport) -> list[str]:
    """The residual correction weight each ranker variant got on the rolling windows."""
    lines: list[str] = []
    for label, variants in report.selection.items():
        for name, details in variants.items():
            if "criterion" not in details:
                continue
            if not lines:
                lines += [
                    "## Residual correction weight, chosen on rolling windows inside the train window",
                    "",
                    "Mean over the windows of warm (Recall@10 + NDCG@10) / 2 for each weight "
                    "(0 = time-decayed co-occurrence).",
                    "",
                ]
            grid = " | ".join(f"{k}" for k in details["criterion"])
            lines += [
                f"**{name} ({label})**: chosen {details['scale']:g}",
                "",
                f"| window fitted | window scored | warm pairs | {grid} |",
                "| --- | --- | ---: | " + " | ".join("---:" for _ in details["criterion"]) + " |",
            ]
            for w in details["windows"]:
                cells = " | ".join(
                    f"{0.5 * (w[k]['recall'] + w[k]['ndcg']):.4f}" for k in details["criterion"]
                )
                lines.append(
                    f"| {w['fit'][0][:10]} .. {w['fit'][1][:10]} | {w['scored'][0][:10]} .. "
                    f"{w['scored'][1][:10]} | {w['pairs']:,} | {cells} |"
                )
            mean = " | ".join(f"{v:.4f}" for v in details["criterion"].values())
            lines += [f"| mean | | | {mean} |", ""]
    return lines


def plot_training_curves(report: EvaluationReport, path: Path) -> Path:
    """Loss and validation criterion per epoch, one line per GNN."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for label, history in report.histories.items():
        epochs = [h.epoch for h in history]
        axes[0].plot(epochs, [h.loss for h in history], label=label)
        axes[1].plot(epochs, [h.criterion for h in history], label=label)
    axes[0].set(title="training loss", xlabel="epoch", ylabel="sampled softmax loss")
    axes[1].set(title="validation: mean of warm and cold-start NDCG@10", xlabel="epoch", ylabel="NDCG@10")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_metric_bars(report: EvaluationReport, path: Path) -> Path:
    """Recall@10 and NDCG@10 on warm and cold queries for each method (horizontal bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = report.rows
    names = [r.name for r in rows]
    fig, axes = plt.subplots(1, 4, figsize=(16, max(4.0, 0.3 * len(rows) + 1)), sharey=True)
    colours = {"baseline": "#8c8c8c", "gnn": "#4c72b0", "hybrid": "#dd8452", "ablation": "#55a868"}
    y = np.arange(len(rows))
    for ax, (subset, metric, title) in zip(
        axes,
        (("warm", "recall", "warm Recall@10"), ("warm", "ndcg", "warm NDCG@10"),
         ("cold", "recall", "cold Recall@10"), ("cold", "ndcg", "cold NDCG@10")),
        strict=True,
    ):  # fmt: skip
        values = [r.result.get(subset, metric) for r in rows]
        ax.barh(y, values, color=[colours.get(r.group, "#333333") for r in rows])
        best = max(
            (r.result.get(subset, metric) for r in rows if r.group == "baseline"), default=float("nan")
        )
        ax.axvline(best, color="black", linestyle="--", linewidth=0.8)
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, names, fontsize=7)
    axes[0].invert_yaxis()
    fig.suptitle("Test period; dashed line: strongest baseline")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(report: EvaluationReport, directory: Path | str, main: str = "hybrid (sage)") -> Path:
    """Write ``evaluation.md``, the PNGs and ``report.json`` into ``directory``; returns the Markdown path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    report.save_json(out / "report.json")
    if report.histories:
        plot_training_curves(report, out / "training_curves.png")
    plot_metric_bars(report, out / "metric_bars.png")
    md = out / "evaluation.md"
    md.write_text(
        "# Evaluation report\n\n" + markdown(report, main, images=bool(report.histories)), encoding="utf-8"
    )
    return md


def load_report(path: Path | str) -> EvaluationReport:
    """Read a ``report.json`` written by :func:`write_report`."""
    return EvaluationReport.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
