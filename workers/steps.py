"""The retrain pipeline's steps as plain functions of a :class:`~workers.runner.StepContext`.

Each step reads its inputs from Neo4j or from the artefacts an earlier step left in
``ctx.workdir`` and writes its own, so any step can be retried alone. The export runs before
the embedding step: one pass over the graph gives both the catalogue to train on and the texts to
re-embed (only those whose text hash changed).

Artefacts (``model_dir/<version>/``): ``snapshot.pkl``, ``embeddings.npy``, the trained model
(``model.pt``, ``meta.json``), ``gate.json``, the customer model's stored recommendations and numbers
(``customers.npz``, ``customers.json``), ``metrics.json``, the scored edges (``associations.npz``).

The steps on the io queue (observe, export, write, activate, prune) never import torch: every model
computation happens on the gpu queue, whose ``evaluate`` step leaves the scored edges for ``write``,
so the io worker's image carries no ML stack.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import neo4j
import numpy as np

import cypher
from graph_schema import EMBEDDING_DIMENSIONS
from stores import versions
from training.snapshot import CatalogueSnapshot, from_neo4j
from workers.runner import StepContext, artefact_dir

if TYPE_CHECKING:
    from training.split import TimeSplit

EXPORT_EMBEDDINGS = cypher.query("embedding.stored_embeddings")
WRITE_EMBEDDINGS = cypher.query("embedding.write_embeddings")

SNAPSHOT_FILE = "snapshot.pkl"
EMBEDDINGS_FILE = "embeddings.npy"
METRICS_FILE = "metrics.json"
GATE_FILE = "gate.json"
CUSTOMERS_FILE = "customers.npz"
CUSTOMER_MODEL_FILE = "customers.json"
ASSOCIATIONS_FILE = "associations.npz"
_ASSOCIATION_COLUMNS = ("source", "target", "score", "raw_score", "rank", "kind")

#: Retrain options that override the training parameters (`selection_windows: 0` skips choosing the
#: residual ranker's weight on rolling windows: a much faster, rougher retrain).
TRAIN_OPTIONS = frozenset({"encoder", "epochs", "seed", "selection_windows", "gate_days"})


def load_snapshot(ctx: StepContext) -> CatalogueSnapshot:
    with (ctx.workdir / SNAPSHOT_FILE).open("rb") as handle:
        snapshot: CatalogueSnapshot = pickle.load(handle)  # our own artefact, written by `export`
    return snapshot


def stored_embeddings(ctx: StepContext, batch_size: int = 2000) -> dict[str, tuple[str | None, list[float]]]:
    """Product id -> (text hash, vector) of every stored embedding, paged by id."""
    stored: dict[str, tuple[str | None, list[float]]] = {}
    after = ""
    while True:
        records = ctx.driver.execute_query(
            EXPORT_EMBEDDINGS,
            after=after,
            batch_size=batch_size,
            database_=ctx.database,
            routing_=neo4j.RoutingControl.READ,
        ).records
        for record in records:
            stored[record["key"]] = (record["text_hash"], list(record["embedding"]))
        if len(records) < batch_size:
            return stored
        after = records[-1]["key"]


def observe(ctx: StepContext) -> dict[str, Any]:
    from ingest.associations import observe as observe_pairs

    report = observe_pairs(
        ctx.driver,
        ctx.database,
        min_support=ctx.settings.min_support_baskets,
        batch_size=ctx.settings.ingest_batch_size,
        progress=lambda _name, done, total: ctx.progress(done, total),
    )
    return asdict(report)


def export(ctx: StepContext) -> dict[str, Any]:
    snapshot = from_neo4j(
        ctx.driver, ctx.database, progress=lambda _name, done, total: ctx.progress(done, total)
    )
    if not snapshot.products or not snapshot.baskets:
        raise ValueError("the graph has no products or no orders to learn from: run `affinity ingest` first")
    with (ctx.workdir / SNAPSHOT_FILE).open("wb") as handle:
        pickle.dump(snapshot, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return snapshot.summary()


def embed(ctx: StepContext) -> dict[str, Any]:
    """Embed the products whose text changed, store them, and save the whole matrix for training."""
    from training.embedding import TextEmbedder, stale_products

    snapshot = load_snapshot(ctx)
    stored = stored_embeddings(ctx)
    model = ctx.settings.text_model
    todo = stale_products(snapshot.products, {pid: h for pid, (h, _) in stored.items()}, model)
    ctx.progress(0, len(todo))
    fresh: dict[str, list[float]] = {}
    if todo:
        if ctx.settings.worker_threads:
            import torch

            torch.set_num_threads(ctx.settings.worker_threads)
        embedder = TextEmbedder(
            model,
            device=ctx.settings.device,
            batch_size=ctx.settings.embedding_batch_size,
            cache_dir=ctx.settings.text_model_dir,
        )
        vectors = embedder.embed([text for _, text, _ in todo], progress=lambda _s, d, t: ctx.progress(d, t))
        rows = []
        for (product, _, digest), vector in zip(todo, vectors, strict=True):
            fresh[product.id] = vector.tolist()
            rows.append({"id": product.id, "embedding": fresh[product.id], "text_hash": digest})
        for start in range(0, len(rows), 500):
            ctx.driver.execute_query(
                WRITE_EMBEDDINGS, rows=rows[start : start + 500], model=model, database_=ctx.database
            )
    matrix = np.zeros((len(snapshot.products), EMBEDDING_DIMENSIONS), dtype=np.float32)
    for i, product in enumerate(snapshot.products):
        matrix[i] = fresh[product.id] if product.id in fresh else stored[product.id][1]
    np.save(ctx.workdir / EMBEDDINGS_FILE, matrix)
    return {"embedded": len(todo), "reused": len(snapshot.products) - len(todo)}


def _train_params(ctx: StepContext) -> Any:
    from training.params import TrainParams

    overrides = {k: v for k, v in ctx.options.items() if k in TRAIN_OPTIONS}
    defaults = {
        "device": ctx.settings.device,
        "seed": ctx.settings.seed,
        "epochs": ctx.settings.train_epochs,
        "threads": ctx.settings.worker_threads,
    }
    return TrainParams.from_dict({**TrainParams().as_dict(), **defaults, **overrides})


def _retrain_split(snapshot: CatalogueSnapshot, params: Any) -> tuple[TimeSplit | None, str | None]:
    """The split with the newest ``gate_days`` held out, or ``(None, why)`` when the history is too
    short to hold a window out (``fit`` then validates on its last weeks and the gate compares
    validation numbers)."""
    from training.split import TimeSplit, make_split

    if params.gate_days <= 0:
        return None, "gate_days is 0: no held-out window"
    split = TimeSplit.for_retrain(snapshot.time_range()[1], params.val_days, params.gate_days)
    data = make_split(snapshot, split)
    if len(data.fit) < 2 or len(data.val_queries) == 0 or len(data.test_queries) == 0:
        return None, (
            f"the history is too short to hold out the last {params.gate_days} days "
            f"({len(data.fit)} fit baskets, {len(data.val_queries)} validation and "
            f"{len(data.test_queries)} held-out pairs)"
        )
    return split, None


def _active_model(ctx: StepContext) -> tuple[str | None, Any]:
    """The active version's id and its trained model (None when its artefact is gone)."""
    from training.artifact import TrainedModel

    current = versions.active(ctx.driver, ctx.database)
    if current is None:
        return None, None
    directory = artefact_dir(ctx.settings, current.id)
    if not (directory / "meta.json").exists():
        return current.id, None
    return current.id, TrainedModel.load(directory)


def train(ctx: StepContext) -> dict[str, Any]:
    """Fit with the newest window held out, score the candidate and the active version on it (the
    gate's numbers, ``gate.json``), then rebase the candidate's weights onto every basket; the customer
    model is fitted beside it, in a process of its own (``customers.npz``, ``customers.json``), and the
    version the prune step would delete is deleted meanwhile (:func:`prune_ahead`)."""
    from training import background
    from training.customer_retrain import fit_customer_model_for_retrain
    from training.fit import fit
    from training.gate import compare_on_window
    from training.interactions import BasketArrays
    from training.rebase import rebase

    snapshot = load_snapshot(ctx)
    embeddings = np.load(ctx.workdir / EMBEDDINGS_FILE)
    params = _train_params(ctx)
    split, no_gate = _retrain_split(snapshot, params)
    versions.create_candidate(
        ctx.driver,
        ctx.database,
        ctx.version,
        params.as_dict(),
        f"{snapshot.time_range()[0].isoformat()}/{snapshot.time_range()[1].isoformat()}",
        ctx.job_id,
    )
    epochs = params.epochs

    def report(step: str, done: int, total: int) -> None:
        # Epoch progress is what a user waits on; other sub-steps are instantaneous.
        if step == "epoch":
            ctx.progress(done, total or epochs)

    # The customer model needs nothing from the item model: it is fitted beside it, at low priority.
    # The critical path is the item model's selection process; with three processes on two cores the
    # customer model slowed it by 30 s, while the main process idles 85 s waiting for the selection:
    # niced, the customer model runs in that idle time.
    customers = background.start(
        "customer model",
        fit_customer_model_for_retrain,
        {"snapshot": snapshot, "split": split, "seed": params.seed},
        threads=1,
        nice=10,
    )
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="early-prune") as pruning:
        early = pruning.submit(prune_ahead, ctx)
        try:
            model = fit(snapshot, embeddings, params, split, progress=report)
            fitted_customers = customers.result()
        finally:
            customers.stop()
        pruned_early = early.result()
    if split is None or split.test_end is None:
        gate: dict[str, Any] = {"notes": [no_gate]}
    else:
        version, active_model = _active_model(ctx)
        gate = compare_on_window(model, version, active_model, snapshot, embeddings, split).as_dict()
        everything = BasketArrays.from_baskets(snapshot.baskets, snapshot.index)
        model = rebase(model, snapshot, embeddings, everything, split.test_end.timestamp())
    ctx.save_json(GATE_FILE, gate)
    model.save(ctx.workdir)
    return {
        "best_epoch": model.best_epoch,
        "epochs": len(model.history),
        "timings": {**model.timings, "customer_model": round(customers.seconds, 3)},
        "customer_model": _save_customers(ctx, fitted_customers),
        "pruned_early": list(pruned_early),
    }


def _save_customers(ctx: StepContext, fitted: Any) -> dict[str, Any]:
    """The customer model's stored recommendations (for the write step) and numbers."""
    np.savez_compressed(ctx.workdir / CUSTOMERS_FILE, **fitted.columns())
    ctx.save_json(CUSTOMER_MODEL_FILE, fitted.report)
    return {"customers": fitted.customers, "recommendations": fitted.recommendations, **fitted.report}


def evaluate(ctx: StepContext) -> dict[str, Any]:
    """The numbers the activation gate decides on, stored on the version.

    With a held-out window (``gate.json`` has the candidate's scores) the version's headline metrics
    are the candidate's on that window, out of sample for every fit, and ``gate`` holds the active
    version's on the same window; without one, the validation window's (in-sample for the ranker).
    The comparison against the baselines is ``affinity eval`` (docs/evaluation.md).
    """
    from training.artifact import TrainedModel

    model = TrainedModel.load(ctx.workdir)
    gate = ctx.load_json(GATE_FILE)
    validation = dict(model.val_metrics.get("hybrid") or {})
    if "candidate" in gate:
        metrics = {key: gate["candidate"][key] for key in ("overall", "warm", "cold")}
        metrics["source"] = "held-out gate window"
    else:
        metrics = {key: validation[key] for key in ("overall", "warm", "cold") if key in validation}
        metrics["source"] = "validation window (in-sample for the ranker)"
    metrics["gate"] = gate
    metrics["validation"] = validation
    metrics["window"] = model.split
    if (ctx.workdir / CUSTOMER_MODEL_FILE).exists():
        metrics["customers"] = ctx.load_json(CUSTOMER_MODEL_FILE)
    if model.calibration is not None:
        metrics["calibration"] = {"source": model.calibration.source, "pairs": sum(model.calibration.pairs)}
    ctx.save_json(METRICS_FILE, metrics)
    versions.set_metrics(ctx.driver, ctx.database, ctx.version, metrics)
    edges = save_associations(ctx, model)
    return {"metrics": {key: metrics[key] for key in ("overall", "source") if key in metrics}, "edges": edges}


def save_associations(ctx: StepContext, model: Any) -> int:
    """Score every product's complements and substitutes for the write step (``associations.npz``)."""
    from training.scoring import score_all

    phases = {"score complements": 0, "score substitutes": 1}  # each counts up to the product count

    def progress(phase: str, done: int, total: int) -> None:
        ctx.progress(phases.get(phase, 0) * total + done, 2 * total)

    scored = score_all(model, ctx.settings.top_k, progress=progress)
    rows = [row.as_dict() for block in scored for row in block]
    columns: dict[str, Any] = {name: np.array([row[name] for row in rows]) for name in _ASSOCIATION_COLUMNS}
    np.savez(ctx.workdir / ASSOCIATIONS_FILE, **columns)
    return len(rows)


def write(ctx: StepContext) -> dict[str, Any]:
    """Write the scored edges and the customers' recommendations under the version (no model here)."""
    path = ctx.workdir / ASSOCIATIONS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the evaluate step writes it; re-run the retrain")
    scored = np.load(path, allow_pickle=False)
    total = len(scored["source"])
    stored = (
        np.load(ctx.workdir / CUSTOMERS_FILE, allow_pickle=False)
        if (ctx.workdir / CUSTOMERS_FILE).exists()
        else None
    )
    total += len(stored["customer"]) if stored is not None else 0

    def rows() -> Any:
        columns = [scored[name] for name in _ASSOCIATION_COLUMNS]
        for source, target, score, raw_score, rank, kind in zip(*columns, strict=True):
            yield {
                "source": str(source),
                "target": str(target),
                "score": float(score),
                "raw_score": float(raw_score),
                "rank": int(rank),
                "kind": str(kind),
            }

    def recommended() -> Any:
        if stored is None:
            return
        columns = [stored[name] for name in ("customer", "product", "score", "rank", "reason")]
        for customer, product, score, rank, reason in zip(*columns, strict=True):
            yield {
                "customer": str(customer),
                "product": str(product),
                "score": float(score),
                "rank": int(rank),
                "reason": str(reason),
            }

    edges, recommendations = versions.write_edges(
        ctx.driver,
        ctx.database,
        ctx.version,
        rows(),
        ctx.settings.write_batch_size,
        total,
        ctx.progress,
        recommended=recommended(),
        pause_ratio=ctx.settings.write_pause_ratio,
    )
    return {"edges": edges, "recommendations": recommendations}


def activate(ctx: StepContext) -> dict[str, Any]:
    force = bool(ctx.options.get("force_activate", False))
    try:
        previous = versions.activate(ctx.driver, ctx.database, ctx.version, force=force)
    except versions.VersionError as refused:
        versions.mark(ctx.driver, ctx.database, ctx.version, "rejected", str(refused))
        return {"activated": False, "reason": str(refused)}
    finally:
        ctx.progress(1, 1)
    return {"activated": True, "previous": previous}


def _prune_keeping(ctx: StepContext, keep: int) -> Sequence[str]:
    return versions.prune(ctx.driver, ctx.database, keep, versions.Pacing.of(ctx.settings))


def prune_ahead(ctx: StepContext) -> Sequence[str]:
    """The versions the prune step would delete at the end of this retrain, deleted while it trains:
    every retrain adds one inactive version (the active one retired, or its own rejected), so keeping
    one fewer now ends it with the same versions, and the paced deletes overlap training."""
    return _prune_keeping(ctx, max(ctx.settings.keep_versions - 1, 0))


def prune(ctx: StepContext) -> dict[str, Any]:
    pruned = _prune_keeping(ctx, ctx.settings.keep_versions)
    ctx.progress(1, 1)
    return {"pruned": list(pruned)}


STEP_FUNCTIONS = {
    "observe": observe,
    "export": export,
    "embed": embed,
    "train": train,
    "evaluate": evaluate,
    "write": write,
    "activate": activate,
    "prune": prune,
}
