# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Model versions: list them, read the active one, activate a version, roll back.

Activation and rollback are the plans of :mod:`stores.versions` (the same code as ``affinity model
activate``): the status flip happens in one transaction, guarded by the evaluation gate. Here they run
through the request's graph, on the async driver and inside the request's time budget.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, TypeVar

import neo4j
import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from affinity.errors import AffinityError
from service.auth import AdminScope, ReadScope
from service.context import ApiInfo
from service.pagination import After, Before, Connection, First, Last, keyset_connection, page_request
from service.query_runner import Graph, Statement, statement
from stores import versions

__all__ = ["ModelVersion", "Mutation", "Query", "load_model_versions"]

MODEL_VERSIONS = statement("model_versions.list")
MODEL_VERSIONS_PAGE = statement("model_versions.page")
MODEL_VERSIONS_COUNT = statement("model_versions.count")
#: A model versions cursor: the version's creation time and id (the list's order).
CURSOR = ("at", "id")

T = TypeVar("T")


def _json(value: str | None) -> Any:
    if not value:
        return {}
    try:
        return json.loads(value)
    except ValueError:
        return {"unparsed": value}


@strawberry.type(description="A trained model version: its learned edges are served while it is active.")
class ModelVersion(relay.Node):
    version_id: strawberry.ID = strawberry.field(
        description="The version's own id (v-<job id>): what `activateModel(version:)` takes; `id` is its "
        "global id (Relay)."
    )
    status: str = strawberry.field(
        description="candidate (written, not served), active (served), retired, rejected, failed or pruned."
    )
    created_at: str | None = strawberry.field(description="When training produced it (ISO 8601).")
    activated_at: str | None = strawberry.field(description="When it was last activated; null if never.")
    params: JSON = strawberry.field(description="Training parameters (JSON object).")
    metrics: JSON = strawberry.field(
        description="The activation gate's numbers (JSON object): `overall`/`warm`/`cold` on the retrain's "
        "held-out window (`source`), `gate.comparison` with it and the version active then scored on the "
        "days of that window the active version never saw, `validation` (in-sample for the ranker)."
    )
    data_window: str | None = strawberry.field(description="The time window of the orders it was trained on.")
    job_id: strawberry.ID | None = strawberry.field(description="The retrain job that produced it.")
    edge_count: int = strawberry.field(description="How many learned ASSOCIATED edges it has.")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ModelVersion:
        return cls(
            version_id=strawberry.ID(row["id"]),
            status=row["status"],
            created_at=row["created_at"],
            activated_at=row["activated_at"],
            params=_json(row["params"]),
            metrics=_json(row["metrics"]),
            data_window=row["data_window"],
            job_id=row["job_id"],
            edge_count=int(row["edges"]),
        )

    @classmethod
    def resolve_id(cls, root: ModelVersion, *, info: strawberry.Info) -> str:
        return str(root.version_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: ApiInfo, node_ids: Iterable[str], required: bool = False
    ) -> list[ModelVersion | None]:
        return await info.context.loader(load_model_versions).load_many(list(node_ids))


async def load_model_versions(graph: Graph, ids: list[str]) -> list[ModelVersion | None]:
    records = await graph.read(MODEL_VERSIONS, ids=ids, status=None, first=None)
    found = {r["id"]: ModelVersion.from_row(r) for r in records}
    return [found.get(version) for version in ids]


@strawberry.type(description="The active model version changed.")
class ModelChanged:
    model: ModelVersion = strawberry.field(description="The version that is active now.")
    previous: strawberry.ID | None = strawberry.field(
        description="The version that was active before, if any."
    )


@strawberry.type(description="The model version change was refused; nothing changed.")
class ModelChangeRejected:
    message: str = strawberry.field(
        description="Why (unknown version, no edges, worse than the active one...)."
    )


ModelChangeResult = Annotated[
    ModelChanged | ModelChangeRejected,
    strawberry.union("ModelChangeResult", description="What activateModel and rollbackModel did."),
]


@strawberry.type
class Query:
    @strawberry.field(
        description="Model versions, newest first, a page at a time in either direction.",
        permission_classes=[ReadScope],
    )
    async def model_versions(
        self,
        info: ApiInfo,
        status: Annotated[
            str | None, strawberry.argument(description="Only versions with this status.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ModelVersion]:
        request = page_request(info.context.settings, CURSOR, first, after, last, before)
        return await keyset_connection(
            info.context.graph,
            request,
            (MODEL_VERSIONS_PAGE, MODEL_VERSIONS_COUNT),
            ModelVersion.from_row,
            lambda row: {"at": row["created_at"], "id": row["id"]},
            status=status,
        )

    @strawberry.field(
        description="The version whose edges are served; null before any activation.",
        permission_classes=[ReadScope],
    )
    async def active_model(self, info: ApiInfo) -> ModelVersion | None:
        records = await info.context.graph.read(MODEL_VERSIONS, ids=None, status="active", first=1)
        return ModelVersion.from_row(records[0]) if records else None


async def _run(graph: Graph, plan: versions.Plan[T]) -> T:
    """A store plan through the request's graph: each statement within what is left of its budget."""

    async def execute(call: versions.Call) -> list[neo4j.Record]:
        run = graph.write if call.write else graph.read
        return await run(Statement(call.statement.name, call.statement.text), **call.params)

    return await versions.run_plan_async(execute, plan)


async def _change(
    info: ApiInfo, action: str, version: str | None, force: bool
) -> ModelChanged | ModelChangeRejected:
    graph = info.context.graph
    try:
        if action == "activate":
            assert version is not None
            active, previous = version, await _run(graph, versions.activate_plan(version, force=force))
        else:
            before = await _run(graph, versions.active_plan())
            active = await _run(graph, versions.rollback_plan())
            previous = before.id if before else None
    except AffinityError as error:
        return ModelChangeRejected(message=str(error))
    (model,) = await load_model_versions(graph, [active])
    assert model is not None
    return ModelChanged(model=model, previous=strawberry.ID(previous) if previous else None)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Serve a model version's edges from now on (one transaction); refused when it scores "
        "worse than the active one on the gate metric unless `force`.",
        permission_classes=[AdminScope],
    )
    async def activate_model(
        self,
        info: ApiInfo,
        version: Annotated[strawberry.ID, strawberry.argument(description="The version id to activate.")],
        force: Annotated[bool, strawberry.argument(description="Skip the evaluation gate.")] = False,
    ) -> ModelChangeResult:
        return await _change(info, "activate", str(version), force)

    @strawberry.mutation(
        description="Re-activate the version that was active before the current one.",
        permission_classes=[AdminScope],
    )
    async def rollback_model(self, info: ApiInfo) -> ModelChangeResult:
        return await _change(info, "rollback", None, False)
