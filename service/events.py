# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Shop events and their attribution: what shoppers did with the lists the API answered.

Every ``recommendations`` and ``associations`` answer carries a ``recommendationId``: an opaque,
self-describing token holding the model version and the strategy that made the list (and a nonce),
so attributing an event needs no write on the read path. ``recordEvents`` stores events in
batches (one ``UNWIND`` transaction per call), idempotent on the client's event id, with the
version and strategy read from the token; ``eventStats`` (and ``cypher/explore/event_stats.cypher``
in Neo4j Browser) gives click-through and conversion per model version and strategy, and
``affinity_api_events_total{type,strategy}`` counts them in ``/metrics``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from ingest.records import format_ts
from service.auth import ReadScope
from service.context import ApiInfo
from service.errors import BadInputError, LimitExceededError
from service.metrics import EVENTS
from service.query_runner import statement

__all__ = ["EventType", "Mutation", "Query", "decode_recommendation_id", "recommendation_id"]

RECORD_EVENTS = statement("events.record")
EVENT_STATS = statement("events.stats")

#: Events one call may carry: a front-end sends small batches; a backfill sends several calls.
MAX_EVENTS = 1000
_PREFIX = "r1."
_MAX_TEXT = 200


def recommendation_id(model_version: str | None, strategy: str) -> strawberry.ID:
    """The id of one answered list: the version and strategy that made it, and a nonce."""
    payload = json.dumps(
        {"v": model_version, "s": strategy, "n": secrets.token_hex(6)}, separators=(",", ":")
    )
    return strawberry.ID(_PREFIX + base64.urlsafe_b64encode(payload.encode()).decode().rstrip("="))


def decode_recommendation_id(value: str) -> tuple[str | None, str]:
    """(model version, strategy) of a :func:`recommendation_id`; ValueError for anything else."""
    if not value.startswith(_PREFIX) or len(value) > 400:
        raise ValueError("not a recommendationId this API gave out")
    body = value[len(_PREFIX) :]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError("not a recommendationId this API gave out") from None
    version, strategy = (data.get("v"), data.get("s")) if isinstance(data, dict) else (None, None)
    if not isinstance(strategy, str) or not (version is None or isinstance(version, str)):
        raise ValueError("not a recommendationId this API gave out")
    return version, strategy


@strawberry.enum(description="What a shopper did.")
class EventType(Enum):
    VIEW = strawberry.enum_value("view", description="Saw the product (e.g. a recommended item shown).")
    CLICK = strawberry.enum_value("click", description="Clicked it.")
    ADD_TO_CART = strawberry.enum_value("add_to_cart", description="Put it in the basket.")
    PURCHASE = strawberry.enum_value("purchase", description="Bought it.")


@strawberry.input(description="One shop event.")
class EventInput:
    id: strawberry.ID = strawberry.field(
        description="The client's unique id for the event: sending it again is a no-op (safe retries)."
    )
    type: EventType = strawberry.field(description="VIEW, CLICK, ADD_TO_CART or PURCHASE.")
    product_id: strawberry.ID = strawberry.field(description="The product it is about.")
    ts: datetime = strawberry.field(description="When it happened (a zone-less time is UTC).")
    customer_id: strawberry.ID | None = strawberry.field(default=None, description="The shopper, if known.")
    session_id: str | None = strawberry.field(default=None, description="The browsing session, if any.")
    recommendation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The `recommendationId` of the list the product was shown in: attributes the event "
        "to that list's model version and strategy.",
    )


@strawberry.type(description="An event that was not recorded, and why.")
class EventProblem:
    index: int = strawberry.field(description="Position in `events`, from 0.")
    field: str = strawberry.field(description="The offending field.")
    message: str = strawberry.field(description="What is wrong.")


@strawberry.type(description="What recordEvents stored.")
class EventsRecorded:
    recorded: int = strawberry.field(description="New events stored.")
    duplicates: int = strawberry.field(description="Events whose id was already stored (left as they were).")
    rejected: list[EventProblem] = strawberry.field(description="Events not stored, each with the reason.")


@strawberry.type(description="How shoppers answered the lists of one model version and strategy.")
class EventStats:
    model_version: str | None = strawberry.field(description="The version that made the lists.")
    strategy: str = strawberry.field(
        description="The strategy: a recommendations strategy (customer_model, basket, ...) or "
        "associations:<kind>."
    )
    lists: int = strawberry.field(description="Distinct answered lists with at least one event.")
    views: int = strawberry.field(description="VIEW events.")
    clicks: int = strawberry.field(description="CLICK events.")
    add_to_carts: int = strawberry.field(description="ADD_TO_CART events.")
    purchases: int = strawberry.field(description="PURCHASE events.")
    click_through_rate: float | None = strawberry.field(description="Clicks over views; null without views.")
    conversion_rate: float | None = strawberry.field(
        description="Purchases over clicks; null without clicks."
    )


def _text(value: str | None, name: str, index: int, problems: list[EventProblem]) -> str | None:
    if value is not None and not (0 < len(value.strip()) <= _MAX_TEXT):
        problems.append(EventProblem(index=index, field=name, message=f"1 to {_MAX_TEXT} characters"))
    return value.strip() if value is not None else None


def _rows(events: list[EventInput]) -> tuple[list[dict[str, Any]], list[EventProblem]]:
    rows: list[dict[str, Any]] = []
    problems: list[EventProblem] = []
    seen: set[str] = set()
    for index, event in enumerate(events):
        before = len(problems)
        event_id = _text(str(event.id), "id", index, problems)
        product_id = _text(str(event.product_id), "productId", index, problems)
        customer_id = _text(
            str(event.customer_id) if event.customer_id is not None else None, "customerId", index, problems
        )
        session_id = _text(event.session_id, "sessionId", index, problems)
        version: str | None = None
        strategy: str | None = None
        if event.recommendation_id is not None:
            try:
                version, strategy = decode_recommendation_id(str(event.recommendation_id))
            except ValueError as error:
                problems.append(EventProblem(index=index, field="recommendationId", message=str(error)))
        try:
            ts = format_ts(event.ts)
        except ValueError as error:
            problems.append(EventProblem(index=index, field="ts", message=str(error)))
        if len(problems) > before:
            continue
        if event_id in seen:
            problems.append(
                EventProblem(index=index, field="id", message=f"event id {event_id!r} repeats in this call")
            )
            continue
        seen.add(str(event_id))
        rows.append(
            {
                "index": index,
                "id": event_id,
                "type": event.type.value,
                "ts": ts,
                "product_id": product_id,
                "customer_id": customer_id,
                "session_id": session_id,
                "recommendation_id": str(event.recommendation_id) if event.recommendation_id else None,
                "model_version": version,
                "strategy": strategy,
            }
        )
    return rows, problems


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Record shop events in one batch (at most 1000), idempotent on each event's id. "
        "Front-ends send them with their read key. Invalid events and events about unknown products "
        "are reported and not stored; the others are.",
        permission_classes=[ReadScope],
    )
    async def record_events(
        self, info: ApiInfo, events: Annotated[list[EventInput], strawberry.argument(description="Events.")]
    ) -> EventsRecorded:
        if not events:
            raise BadInputError("`events` is empty")
        if len(events) > MAX_EVENTS:
            raise LimitExceededError(
                f"{len(events)} events in one call; the maximum is {MAX_EVENTS}",
                limit="events",
                maximum=MAX_EVENTS,
            )
        rows, problems = _rows(events)
        created = known = 0
        if rows:
            (result,) = await info.context.graph.write(RECORD_EVENTS, rows=rows)
            created = int(result["created"])
            unknown = set(result["unknown"])
            problems += [
                EventProblem(
                    index=r["index"], field="productId", message=f"unknown product id {r['product_id']!r}"
                )
                for r in rows
                if r["index"] in unknown
            ]
            known = len(rows) - len(unknown)
            for row in rows:
                if row["index"] not in unknown:
                    EVENTS.labels(row["type"], row["strategy"] or "none").inc()
        return EventsRecorded(
            recorded=created, duplicates=known - created, rejected=sorted(problems, key=lambda p: p.index)
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="Click-through and conversion of the answered lists, per model version and strategy "
        "(events sent with a recommendationId).",
        permission_classes=[ReadScope],
    )
    async def event_stats(
        self,
        info: ApiInfo,
        since: Annotated[
            datetime | None, strawberry.argument(description="Only events from this time on.")
        ] = None,
    ) -> list[EventStats]:
        records = await info.context.graph.read(EVENT_STATS, since=format_ts(since) if since else None)
        stats = []
        for r in records:
            counts = {c["type"]: int(c["events"]) for c in r["counts"]}
            lists = max((int(c["lists"]) for c in r["counts"]), default=0)
            views, clicks = counts.get("view", 0), counts.get("click", 0)
            purchases = counts.get("purchase", 0)
            stats.append(
                EventStats(
                    model_version=r["version"],
                    strategy=r["strategy"],
                    lists=lists,
                    views=views,
                    clicks=clicks,
                    add_to_carts=counts.get("add_to_cart", 0),
                    purchases=purchases,
                    click_through_rate=clicks / views if views else None,
                    conversion_rate=purchases / clicks if clicks else None,
                )
            )
        return stats
