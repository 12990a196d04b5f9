"""The customer protocols' report as Markdown (:func:`customer_markdown`): every method's row on
both protocols, the choices made on validation, the intervals and the GNN ablation."""

from __future__ import annotations

from training.customer_experiment import CustomerReport

__all__ = ["customer_markdown"]

_NB_COLUMNS = (
    ("hr", "HR@10"),
    ("recall", "Recall@10"),
    ("ndcg", "NDCG@10"),
    ("repeat_recall", "repeat recall"),
    ("explore_recall", "explore recall"),
    ("repeat_share", "repeat share of top 10"),
)
_CQ_COLUMNS = (("hr", "HR@10"), ("recall", "Recall@10"), ("ndcg", "NDCG@10"))


def _table(rows: dict[str, dict[str, float | int]], columns: tuple[tuple[str, str], ...]) -> list[str]:
    """A Markdown table: one row per method, one column per ``(key, label)``."""
    lines = [
        "| method | " + " | ".join(label for _, label in columns) + " |",
        "| --- | " + " | ".join("---:" for _ in columns) + " |",
    ]
    lines += [
        f"| {name} | " + " | ".join(f"{float(row[c]):.4f}" for c, _ in columns) + " |"
        for name, row in rows.items()
    ]
    return lines


def customer_markdown(report: CustomerReport) -> str:
    """Both protocols' tables, the choices made on validation and the intervals, as Markdown."""
    s = report.split
    lines = [
        f"Train window up to {s['train_end']} (validation from {s['val_start']}), "
        f"test {s['train_end']} .. {s['test_end'] or 'last basket'}.",
        "",
        "### Next basket (known customers)",
        "",
        f"{report.sizes['next_basket_customers']:,} customers with train orders and a test order; "
        f"{report.sizes['next_basket_repeat_customers']:,} of them rebuy at least one product in it.",
        "",
        *_table(report.next_basket, _NB_COLUMNS),
        "",
        "### Basket completion with the customer",
        "",
        f"{report.sizes['completion_pairs']:,} (basket, q) pairs from "
        f"{report.sizes['completion_customers']:,} customers with train orders.",
        "",
        *_table(report.completion, _CQ_COLUMNS),
        "",
        "### Chosen on validation",
        "",
    ]
    for name, value in report.chosen.items():
        shown = value["chosen"] if isinstance(value, dict) else value
        lines.append(f"- {name}: {shown}")
    if report.intervals:
        lines += [
            "",
            "### Against the strongest baseline (95% interval, customers resampled)",
            "",
            "| protocol | method | metric | strongest baseline | difference [95% interval] |",
            "| --- | --- | --- | --- | --- |",
        ]
        for protocol, methods in report.intervals.items():
            for method, metrics in methods.items():
                for metric, (diff, low, high) in metrics.items():
                    best = report.strongest[f"{protocol} {metric}"]
                    lines.append(
                        f"| {protocol.replace('_', ' ')} | {method} | {metric} | {best} "
                        f"| {diff:+.4f} [{low:+.4f}, {high:+.4f}] |"
                    )
    if report.ablation:
        lines += [
            "",
            "### The customer GNN's ablation: with it minus without it (95% interval, customers resampled)",
            "",
            "| protocol | seed | metric | difference [95% interval] |",
            "| --- | --- | --- | --- |",
        ]
        for protocol, seeds in report.ablation.items():
            for seed, metrics in seeds.items():
                for metric, (diff, low, high) in metrics.items():
                    shown = f"{diff:+.4f} [{low:+.4f}, {high:+.4f}]"
                    lines.append(f"| {protocol.replace('_', ' ')} | {seed} | {metric} | {shown} |")
    return "\n".join([*lines, ""])
