# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Jobs: retrain and refresh runs, their state and progress, and starting a retrain.

Progress is polling-friendly: ``job(id)`` is one indexed lookup, and ``pollAfterSeconds`` tells a
client how long to wait before asking again (0 once the job has finished).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from affinity.errors import AffinityError
from service.auth import AdminScope, ReadScope
from service.context import ApiInfo
from service.errors import BadInputError, NotFoundError
from service.model_versions import ModelVersion, load_model_versions
from service.nodes import local_id
from service.pagination import After, Before, Connection, First, Last, keyset_connection, page_request
from service.query_runner import Graph, statement
from stores import dispatch

__all__ = ["Job", "JobState", "Mutation", "Query", "load_jobs"]

JOBS_BY_IDS = statement("jobs.by_ids")
JOBS_PAGE = statement("jobs.page")
JOBS_COUNT = statement("jobs.count")
#: A jobs cursor: the job's creation time and id (the list's order).
CURSOR = ("at", "id")

#: How often a client should poll a running job.
POLL_INTERVAL_S = 2.0
#: The largest retrain options object accepted (bytes of JSON).
MAX_OPTIONS_BYTES = 4096


@strawberry.enum(description="Where a job is in its life.")
class JobState(Enum):
    QUEUED = strawberry.enum_value("queued", description="Waiting for a worker.")
    RUNNING = strawberry.enum_value("running", description="A worker is running one of its steps.")
    SUCCEEDED = strawberry.enum_value("succeeded", description="Finished; `modelVersion` holds what it made.")
    FAILED = strawberry.enum_value("failed", description="Stopped; `error` says why.")


def _json(value: str | None) -> Any:
    try:
        return json.loads(value) if value else {}
    except ValueError:
        return {"unparsed": value}


def _str(value: Any) -> str | None:
    # toString(null) is null; a missing temporal shows as the string "null" in no case here.
    return None if value is None else str(value)


@strawberry.type(description="A background job (retrain or product refresh) and its progress.")
class Job(relay.Node):
    job_id: strawberry.ID = strawberry.field(
        description="The job's own id (what `job(id:)` takes); `id` is its global id (Relay)."
    )
    kind: str = strawberry.field(description="retrain or refresh.")
    state: JobState = strawberry.field(description="queued, running, succeeded or failed.")
    step: str = strawberry.field(description="The pipeline step running now (or last run).")
    done: int = strawberry.field(description="Units done in the current step.")
    total: int = strawberry.field(description="Units in the current step (0 while unknown).")
    error: str | None = strawberry.field(description="Why the job failed; null otherwise.")
    options: JSON = strawberry.field(description="The options it was started with.")
    timings: JSON = strawberry.field(description="Seconds each finished step took.")
    result: JSON = strawberry.field(description="What the job reported when it finished.")
    created_at: str | None = strawberry.field(description="When it was submitted (ISO 8601).")
    updated_at: str | None = strawberry.field(description="Its last progress report: a heartbeat.")
    started_at: str | None = strawberry.field(description="When a worker picked it up.")
    finished_at: str | None = strawberry.field(description="When it succeeded or failed.")
    model_version_id: strawberry.ID | None = strawberry.field(
        description="The model version it produced, if any."
    )

    @classmethod
    def from_row(cls, job: Mapping[str, Any]) -> Job:
        return cls(
            job_id=strawberry.ID(job["id"]),
            kind=job.get("kind") or "",
            state=JobState(job.get("state") or "queued"),
            step=job.get("step") or "",
            done=int(job.get("done") or 0),
            total=int(job.get("total") or 0),
            error=job.get("error"),
            options=_json(job.get("options")),
            timings=_json(job.get("timings")),
            result=_json(job.get("result")),
            created_at=_str(job.get("created_at")),
            updated_at=_str(job.get("updated_at")),
            started_at=_str(job.get("started_at")),
            finished_at=_str(job.get("finished_at")),
            model_version_id=job.get("model_version"),
        )

    @classmethod
    def resolve_id(cls, root: Job, *, info: strawberry.Info) -> str:
        return str(root.job_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: ApiInfo, node_ids: Iterable[str], required: bool = False
    ) -> list[Job | None]:
        return await info.context.loader(load_jobs).load_many(list(node_ids))

    @strawberry.field(
        description="done / total of the current step, 0 to 1; null while the total is unknown."
    )
    def progress(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None

    @strawberry.field(description="True once the job succeeded or failed.")
    def finished(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED)

    @strawberry.field(description="Seconds to wait before polling this job again; 0 once finished.")
    def poll_after_seconds(self) -> float:
        return 0.0 if self.finished() else POLL_INTERVAL_S

    @strawberry.field(description="The model version the job produced, with its metrics; null if none.")
    async def model_version(self, info: ApiInfo) -> ModelVersion | None:
        if self.model_version_id is None:
            return None
        return await info.context.loader(load_model_versions).load(str(self.model_version_id))


async def load_jobs(graph: Graph, ids: list[str]) -> list[Job | None]:
    records = await graph.read(JOBS_BY_IDS, ids=ids)
    found = {r["job"]["id"]: Job.from_row(r["job"]) for r in records}
    return [found.get(job_id) for job_id in ids]


@strawberry.type(description="The retrain job was queued.")
class RetrainQueued:
    job: Job = strawberry.field(description="The new job: poll `job(id)` for its progress.")


@strawberry.type(description="The retrain was not started.")
class RetrainRejected:
    message: str = strawberry.field(
        description="Why: a retrain is already queued or running, or the broker is down."
    )


RetrainResult = Annotated[
    RetrainQueued | RetrainRejected, strawberry.union("RetrainResult", description="What `retrain` did.")
]


@strawberry.type
class Query:
    @strawberry.field(
        description="A job by id (poll it for progress); an unknown id is a NOT_FOUND error.",
        permission_classes=[ReadScope],
    )
    async def job(
        self,
        info: ApiInfo,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The job's `jobId` or its global `id`.")
        ],
    ) -> Job:
        job_id = local_id(str(id), "Job")
        job = await info.context.loader(load_jobs).load(job_id)
        if job is None:
            raise NotFoundError(f"unknown job id {job_id!r} in argument 'id'", ids=[job_id])
        return job

    @strawberry.field(
        description="Jobs, newest first, a page at a time in either direction.",
        permission_classes=[ReadScope],
    )
    async def jobs(
        self,
        info: ApiInfo,
        state: Annotated[JobState | None, strawberry.argument(description="Only jobs in this state.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Job]:
        request = page_request(info.context.settings, CURSOR, first, after, last, before)
        return await keyset_connection(
            info.context.graph,
            request,
            (JOBS_PAGE, JOBS_COUNT),
            lambda record: Job.from_row(record["job"]),
            lambda record: {"at": _str(record["job"]["created_at"]), "id": record["job"]["id"]},
            state=state.value if state else None,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Start a retrain (observe, export, embed, train, the customer model, evaluate, write "
        "back, gated activation) as a background job; at most one runs at a time.",
        permission_classes=[AdminScope],
    )
    async def retrain(
        self,
        info: ApiInfo,
        options: Annotated[
            JSON | None,
            strawberry.argument(description="Pipeline options as a JSON object, passed to the retrain job."),
        ] = None,
    ) -> RetrainResult:
        if options is not None and not isinstance(options, dict):
            raise BadInputError("`options` must be a JSON object")
        payload: dict[str, Any] = dict(options or {})
        if len(json.dumps(payload)) > MAX_OPTIONS_BYTES:
            raise BadInputError(f"`options` is larger than {MAX_OPTIONS_BYTES} bytes of JSON")
        settings = info.context.settings
        try:
            job_id = await asyncio.to_thread(
                dispatch.submit_retrain, settings, payload, info.context.request_id
            )
        except ImportError as error:  # celery is the workers extra
            return RetrainRejected(
                message=f"this API process cannot submit jobs ({error}); install the workers extra"
            )
        except AffinityError as error:
            return RetrainRejected(message=str(error))
        job = await info.context.loader(load_jobs).load(job_id)
        assert job is not None
        return RetrainQueued(job=job)
