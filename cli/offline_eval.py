"""`affinity eval`: every baseline and model variant on a time split, as a table and a report.

The protocol is DESIGN.md's (item-to-item basket completion, HR/Recall/NDCG@10, warm and cold);
the code is :mod:`training.experiment` and :mod:`training.report`. ``--data DIR`` is read by
:func:`read_dataset`: every layout ``affinity ingest DIR`` accepts, with the same checks and messages.
"""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from affinity.errors import AffinityError
from cli.common import JSON_OPTION, command, console, load_settings, print_json
from ingest.pipeline import invalid_input, load_dataset, no_graph
from training.snapshot import CatalogueSnapshot, from_rows

app = typer.Typer(help="Offline evaluation against the baselines (docs/evaluation.md).")


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise AffinityError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def _seeds(value: str) -> list[int]:
    try:
        seeds = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise AffinityError(f"--seeds takes comma-separated integers, not {value!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise AffinityError(f"--seeds needs at least one seed and no repeats: {value!r}")
    return seeds


def _rolling(
    snapshot: CatalogueSnapshot,
    embeddings: Any,
    n_windows: int,
    seeds: list[int],
    params: Any,
    directory: Path,
    only: str | None,
    jobs: int,
    progress: Any,
) -> Any:
    """Run the rolling windows (or the ``only`` ones) and summarise them unless ``only`` was given."""
    from training.rolling import monthly_windows, run_rolling, summarise, window_label

    windows = monthly_windows(snapshot.time_range()[1], n_windows, val_days=params.val_days)
    chosen = windows
    if only is not None:
        wanted = {part.strip() for part in only.split(",") if part.strip()}
        unknown = wanted - {window_label(w) for w in windows}
        if unknown:
            labels = ", ".join(window_label(w) for w in windows)
            raise AffinityError(f"--only {', '.join(sorted(unknown))}: not a test month here ({labels})")
        chosen = [w for w in windows if window_label(w) in wanted]
    console.print(f"rolling windows: {', '.join(window_label(w) for w in chosen)}; seeds {seeds}")
    run_rolling(snapshot, embeddings, chosen, seeds, params, directory, jobs=jobs, progress=progress)
    if only is not None:
        return None
    main = f"hybrid ({params.encoder})"
    return summarise(
        snapshot,
        windows,
        seeds,
        directory,
        comparisons=[
            (main, f"hybrid without GNN ({params.encoder})"),
            (main, "trending"),
            (main, "text_cosine"),
            (main, "decayed_cooccurrence"),
        ],
    )


def _customers(
    snapshot: CatalogueSnapshot,
    split: Any,
    item_model: Path | None,
    val_item_model: Path | None,
    seeds: list[int],
    directory: Path,
    min_support: int,
) -> None:
    """Both customer protocols with every baseline, the learned customer ranker and the customer model
    as the API serves it (one row per seed); tables printed and written to ``directory``."""

    from training.customer_experiment import add_intervals, run_customer_evaluation
    from training.customer_report import customer_markdown
    from training.customer_serving import evaluate_served

    lists = _item_lists(snapshot, item_model) if item_model is not None else None
    val_lists = _item_lists(snapshot, val_item_model) if val_item_model is not None else None
    with console.status("customer baselines and the learned ranker (parameters chosen on validation)..."):
        report, ranked, next_basket, completion = run_customer_evaluation(
            snapshot, split, lists, learned_seeds=tuple(seeds)
        )
    with console.status("the customer model as served (query-time weights chosen on validation)..."):
        served = evaluate_served(snapshot, split, tuple(seeds), lists, val_lists, min_support=min_support)
        report.next_basket.update(served.next_basket)
        report.completion.update(served.completion)
        for protocol, by_name in served.lists.items():
            ranked[protocol].update(by_name)
        report.chosen["served customer model: query-time weights"] = {
            "chosen": served.weights.as_dict(),
            "validation": served.validation,
        }
        learned = [name for name in report.next_basket if name.startswith(("learned", "customer model"))]
        add_intervals(report, ranked, next_basket, completion, tuple(learned))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "customers.json").write_text(json.dumps(report.as_dict(), indent=1), encoding="utf-8")
    path = directory / "customers.md"
    path.write_text("# Customer protocols\n\n" + customer_markdown(report), encoding="utf-8")
    for protocol, table in (("next basket", report.next_basket), ("basket completion", report.completion)):
        shown = Table(title=f"{protocol}, K = 10")
        shown.add_column("method", no_wrap=True)
        for column in ("HR@10", "Recall@10", "NDCG@10"):
            shown.add_column(column, justify="right")
        for name, row in table.items():
            shown.add_row(name, *(f"{float(row[m]):.4f}" for m in ("hr", "recall", "ndcg")))
        console.print(shown)
    console.print(f"report: {path}")


def _item_lists(snapshot: CatalogueSnapshot, directory: Path) -> Any:
    """The complement lists (and calibrated scores) of a saved model, over the snapshot's products."""
    import numpy as np

    from training.artifact import TrainedModel
    from training.scoring import score_complements

    if not (directory / "meta.json").exists():
        raise AffinityError(f"{directory} holds no trained model (no meta.json)")
    model = TrainedModel.load(directory)
    if model.product_ids != snapshot.product_ids:
        raise AffinityError(f"the model in {directory} was trained on another catalogue than this dataset")
    k = 20
    idx = np.full((len(snapshot.products), k), -1, dtype=np.int64)
    scores = np.zeros((len(snapshot.products), k), dtype=np.float32)
    index = snapshot.index
    for block in score_complements(model, k):
        for row in block:
            idx[index[row.source_id], row.rank - 1] = index[row.target_id]
            scores[index[row.source_id], row.rank - 1] = row.score
    return idx, scores


def read_dataset(directory: Path) -> CatalogueSnapshot:
    """The input files in ``directory`` as a snapshot, read and checked as ``affinity ingest`` does.

    Every layout ingest accepts is read (``docs/ingest.md``: CSV or JSON Lines per kind, gzipped or
    not, several files per kind) with ingest's readers and validation, the directory standing alone
    (references must resolve inside it, as when ingesting into an empty graph). Any problem raises
    :class:`~affinity.errors.ValidationFailedError` listing each as ``file:line: field: message``.
    """
    dataset, files = load_dataset([directory], no_graph)
    if dataset.problems:
        raise invalid_input(dataset, files, "nothing was evaluated (the checks are `affinity ingest`'s)")
    return from_rows(
        (product.model_dump() for product in dataset.products),
        (
            {
                "order_id": order.id,
                "customer_id": order.customer_id,
                "ts": order.ts,
                "product_id": line.product_id,
            }
            for order in dataset.orders
            for line in order.lines
        ),
        (review.model_dump() for review in dataset.reviews),
    )


@app.callback(invoke_without_command=True)
@command
def offline_eval(
    data: Annotated[
        Path | None,
        typer.Option(
            help="dataset directory: any layout `affinity ingest DIR` accepts, checked the same way "
            "(default: <data_dir>/datasets/online-retail)"
        ),
    ] = None,
    from_neo4j: Annotated[
        bool, typer.Option("--from-neo4j", help="export the catalogue from Neo4j instead")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="report directory (default: <data_dir>/reports/evaluation)")
    ] = None,
    train_end: Annotated[
        str | None,
        typer.Option(help="first day of the test period (default 2011-08-01 for the shipped data)"),
    ] = None,
    test_end: Annotated[
        str | None, typer.Option(help="day after the test period (default: the day after the last basket)")
    ] = None,
    val_days: Annotated[int, typer.Option(help="validation days at the end of the train window")] = 28,
    encoders: Annotated[
        str, typer.Option(help="comma-separated GNN encoders: sage,gat,gcn,mlp")
    ] = "sage,gat,gcn,mlp",
    epochs: Annotated[int | None, typer.Option(help="maximum GNN epochs (default: TrainParams)")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="first encoder only, no ablations")] = False,
    rolling: Annotated[
        int,
        typer.Option(
            help="rolling-origin evaluation on this many monthly test windows ending with the data's "
            "last month (0: one split); first encoder, every baseline and ablation"
        ),
    ] = 0,
    seeds: Annotated[
        str,
        typer.Option(help="comma-separated seeds of the rolling evaluation and the learned customer model"),
    ] = "7,8,9",
    customers: Annotated[
        bool,
        typer.Option(
            "--customers",
            help="the customer protocols (next basket, basket completion with the customer) and their "
            "baselines instead of the item-to-item comparison",
        ),
    ] = False,
    item_model: Annotated[
        Path | None,
        typer.Option(
            help="with --customers: a trained model directory (fitted on this split's train window) for "
            "the traversal and item-to-item rows"
        ),
    ] = None,
    val_item_model: Annotated[
        Path | None,
        typer.Option(
            help="with --customers: a trained model directory fitted before this split's validation "
            "period, to choose the served customer model's basket weight on validation"
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option(min=1, help="rolling: runs at a time, each in its own process (cores shared)")
    ] = 1,
    only: Annotated[
        str | None,
        typer.Option(
            help="rolling: run only these test months (comma-separated YYYY-MM) and skip the summary, "
            "to share the runs between processes"
        ),
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Train and score everything on a time split; print the table; write Markdown + PNG plots.
    With ``--json`` the text goes to stderr and stdout gets the numbers (what the report's JSON holds)."""
    options = {name: value for name, value in locals().items() if name != "as_json"}
    if not as_json:
        _evaluate(**options)
        return
    with contextlib.redirect_stdout(sys.stderr):
        results = _evaluate(**options)
    print_json({"results_file": str(results) if results else None,
                "results": json.loads(results.read_text(encoding="utf-8")) if results else None})  # fmt: skip


def _evaluate(
    data: Path | None,
    from_neo4j: bool,
    out: Path | None,
    train_end: str | None,
    test_end: str | None,
    val_days: int,
    encoders: str,
    epochs: int | None,
    quick: bool,
    rolling: int,
    seeds: str,
    customers: bool,
    item_model: Path | None,
    val_item_model: Path | None,
    jobs: int,
    only: str | None,
) -> Path | None:
    """The evaluation ``affinity eval`` asked for; returns the JSON file of its numbers (None for a
    rolling run limited by ``--only``, which writes no summary)."""
    settings = load_settings()
    if from_neo4j:
        from affinity.db import session_driver
        from training.snapshot import from_neo4j as export

        with session_driver(settings) as driver:
            snapshot = export(driver, settings.neo4j_database, batch_size=settings.ingest_batch_size)
    else:
        directory = data or settings.data_dir / "datasets" / "online-retail"
        if not directory.exists():
            raise AffinityError(
                f"{directory} does not exist: run `affinity ingest convert-online-retail` first"
            )
        snapshot = read_dataset(directory)
    if not snapshot.baskets:
        raise AffinityError("the catalogue has no baskets to evaluate on")

    # The ML stack is imported once the input is known to be good: bad files fail in a second.
    import torch

    from training.embedding import embed_with_cache
    from training.experiment import run_evaluation
    from training.params import TrainParams
    from training.report import write_report
    from training.split import ONLINE_RETAIL_SPLIT, TimeSplit

    torch.set_num_threads(max(1, min(torch.get_num_threads(), 4)))
    seed_list = _seeds(seeds)

    start = _date(train_end)
    if start is None and ONLINE_RETAIL_SPLIT.train_end <= snapshot.time_range()[1]:
        split = ONLINE_RETAIL_SPLIT
    else:
        split = TimeSplit.ending(snapshot.time_range()[1], val_days=val_days)
        if start is not None:
            end = _date(test_end)
            split = TimeSplit(val_start=start - timedelta(days=val_days), train_end=start, test_end=end)
    console.print(
        f"{len(snapshot.products):,} products, {len(snapshot.baskets):,} baskets; split {split.as_dict()}"
    )

    if customers:
        directory = out or settings.data_dir / "reports" / "customers"
        _customers(
            snapshot, split, item_model, val_item_model, seed_list, directory, settings.min_support_baskets
        )
        return directory / "customers.json"

    with console.status("embedding product texts (cached by text hash)..."):
        embeddings = embed_with_cache(
            snapshot.products,
            settings.data_dir / "cache" / "text-embeddings.npz",
            settings.text_model,
            settings.device,
            settings.embedding_batch_size,
        )
    names = [e.strip() for e in encoders.split(",") if e.strip()]
    params = TrainParams(device=settings.device, seed=settings.seed)
    if epochs is not None:
        params = TrainParams.from_dict({**params.as_dict(), "epochs": epochs, "hybrid": params.hybrid})

    def progress(step: str, done: int, total: int) -> None:
        console.print(f"  {step}: {done}/{total}")

    if rolling:
        from training.rolling_report import write_rolling_report

        directory = out or settings.data_dir / "reports" / "rolling"
        params = TrainParams.from_dict({**params.as_dict(), "encoder": names[0], "hybrid": params.hybrid})
        summary = _rolling(snapshot, embeddings, rolling, seed_list, params, directory, only, jobs, progress)
        if summary is None:
            return None
        console.print(f"report: {write_rolling_report(summary, directory, main=f'hybrid ({names[0]})')}")
        return directory / "rolling.json"

    report = run_evaluation(
        snapshot,
        embeddings,
        split,
        params,
        encoders=names[:1] if quick else names,
        ablations=not quick,
        naive_gnn=not quick,
        progress=progress,
    )
    table = Table(title="Test period, K = 10 (HR, Recall, NDCG)")
    table.add_column("method", no_wrap=True)
    for subset in ("overall", "warm", "cold"):
        for metric in ("HR", "Rec", "NDCG"):
            table.add_column(f"{metric} {subset}", justify="right", no_wrap=True)
    for row in report.rows:
        table.add_row(
            row.name,
            *[
                f"{row.result.get(s, m):.4f}"
                for s in ("overall", "warm", "cold")
                for m in ("hr", "recall", "ndcg")
            ],
        )
    # A pipe or log file gets 80 columns by default: too narrow for ten columns of numbers.
    wide = console if console.is_terminal and console.width >= 150 else Console(width=160, highlight=False)
    wide.print(table)
    main = f"hybrid ({names[0]})"
    for key, verdict in report.verdict(main).items():
        mark = "[green]beats[/green]" if verdict["beats"] else "[red]does not beat[/red]"
        console.print(
            f"{main} {key}: {float(verdict['model']):.4f} {mark} {verdict['baseline']} "
            f"{float(verdict['baseline_value']):.4f} ({float(verdict['lift']):+.1%})"
        )
    path = write_report(report, out or settings.data_dir / "reports" / "evaluation", main=main)
    console.print(f"report: {path}")
    return path.parent / "report.json"
