# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Availability and removal mutations (admin): ``setAvailability``, ``deleteProducts`` and
``eraseCustomer``, the API side of :mod:`ingest.removal` (same statements, same semantics)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from affinity.db import session_driver
from affinity.errors import AffinityError
from affinity.settings import Settings
from ingest.removal import Erasure, delete_products, erase_customer, set_availability
from service.auth import AdminScope
from service.context import ApiInfo
from service.errors import BadInputError, LimitExceededError
from stores import dispatch

__all__ = ["Mutation"]

#: Ids one call may carry.
MAX_IDS = 5000

IdsArgument = Annotated[list[strawberry.ID], strawberry.argument(description="Product ids.")]


def _ids(ids: list[strawberry.ID]) -> list[str]:
    if not ids:
        raise BadInputError("`ids` is empty")
    if len(ids) > MAX_IDS:
        raise LimitExceededError(
            f"{len(ids)} ids in one call; the maximum is {MAX_IDS}", limit="ids", maximum=MAX_IDS
        )
    return list(dict.fromkeys(str(i) for i in ids))


@strawberry.type(description="What setAvailability changed.")
class AvailabilityResult:
    updated: list[strawberry.ID] = strawberry.field(description="Products now marked as asked.")
    unknown_ids: list[strawberry.ID] = strawberry.field(description="Ids that are not products (ignored).")


@strawberry.type(description="What deleteProducts removed.")
class DeletionResult:
    deleted: list[strawberry.ID] = strawberry.field(
        description="Products deleted, with their order lines, associations of every model version, "
        "recommendations and reviews."
    )
    absent_ids: list[strawberry.ID] = strawberry.field(
        description="Ids with no product (already deleted, or never there): nothing to do."
    )


@strawberry.type(description="What eraseCustomer removed.")
class ErasureResult:
    found: bool = strawberry.field(description="False when there was no such customer (nothing to do).")
    orders: int = strawberry.field(description="Orders deleted with their lines.")
    reviews: int = strawberry.field(description="Reviews deleted.")
    events: int = strawberry.field(description="Shop events (views, clicks, ...) deleted.")
    recount_job_id: strawberry.ID | None = strawberry.field(
        description="The background job recounting the co-purchase edges without the erased orders."
    )
    warnings: list[str] = strawberry.field(description="What could not be done now, and how to finish it.")


def _erase(settings: Settings, customer_id: str) -> Erasure:
    with session_driver(settings) as driver:
        return erase_customer(driver, settings.neo4j_database, customer_id)


def _forget_cached_lists(info: ApiInfo) -> None:
    # The popular list is cached per process; the filter re-checks availability on every call, but a
    # deleted product must not hold a place in the cached ranking either.
    info.context.services.cache.pop("popular", None)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Mark products available or unavailable. Unavailable products stay in the graph "
        "(their orders still train the models) but no list returns them unless its filter says "
        "`includeUnavailable`. Idempotent.",
        permission_classes=[AdminScope],
    )
    async def set_availability(
        self,
        info: ApiInfo,
        ids: IdsArgument,
        available: Annotated[bool, strawberry.argument(description="True: sellable again.")],
    ) -> AvailabilityResult:
        settings = info.context.settings
        asked = _ids(ids)

        def run() -> tuple[list[str], list[str]]:
            with session_driver(settings) as driver:
                return set_availability(driver, settings.neo4j_database, asked, available)

        updated, unknown = await asyncio.to_thread(run)
        _forget_cached_lists(info)
        return AvailabilityResult(
            updated=[strawberry.ID(i) for i in updated], unknown_ids=[strawberry.ID(i) for i in unknown]
        )

    @strawberry.mutation(
        description="Delete products with every relationship they have (order lines, observed and "
        "learned associations of every model version, recommendations) and their reviews. Idempotent.",
        permission_classes=[AdminScope],
    )
    async def delete_products(self, info: ApiInfo, ids: IdsArgument) -> DeletionResult:
        settings = info.context.settings
        asked = _ids(ids)

        def run() -> list[str]:
            with session_driver(settings) as driver:
                return delete_products(driver, settings.neo4j_database, asked)

        deleted = await asyncio.to_thread(run)
        _forget_cached_lists(info)
        gone = set(deleted)
        return DeletionResult(
            deleted=[strawberry.ID(i) for i in deleted],
            absent_ids=[strawberry.ID(i) for i in asked if i not in gone],
        )

    @strawberry.mutation(
        description="Erase a customer: their orders and order lines, reviews, stored recommendations "
        "and events"
        " go at once, then a background job recounts the co-purchase edges without their orders. "
        "Idempotent.",
        permission_classes=[AdminScope],
    )
    async def erase_customer(
        self, info: ApiInfo, id: Annotated[strawberry.ID, strawberry.argument(description="Customer id.")]
    ) -> ErasureResult:
        settings = info.context.settings
        erasure = await asyncio.to_thread(_erase, settings, str(id))
        job_id: str | None = None
        warnings: list[str] = []
        if erasure.orders:
            try:
                job_id = await asyncio.to_thread(
                    dispatch.submit_co_purchase_recount,
                    settings,
                    "erased customer's orders",
                    info.context.request_id,
                )
            except (AffinityError, ImportError) as error:
                warnings.append(
                    f"the co-purchase edges still count the erased orders ({error}): run "
                    "`affinity associations observe`"
                )
        _forget_cached_lists(info)
        return ErasureResult(
            found=erasure.found,
            orders=erasure.orders,
            reviews=erasure.reviews,
            events=erasure.events,
            recount_job_id=strawberry.ID(job_id) if job_id else None,
            warnings=warnings,
        )
