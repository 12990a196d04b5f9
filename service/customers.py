# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Customers, a page at a time: what a shop's back office (or the reference shop page) picks a
customer from before asking for their recommendations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from service.auth import ReadScope
from service.context import ApiInfo
from service.pagination import PageInfo, check_first, decode_cursor, encode_cursor
from service.query_runner import statement

__all__ = ["Customer", "CustomerConnection", "Query"]

CUSTOMERS_PAGE = statement("customers.page")
CUSTOMERS_COUNT = statement("customers.count")


@strawberry.type(description="A customer of the shop.")
class Customer:
    id: strawberry.ID = strawberry.field(description="The shop's customer id.")
    country: str | None = strawberry.field(description="Country, when known.")
    order_count: int = strawberry.field(description="Orders the customer placed.")


@strawberry.type(description="An edge of a customer connection.")
class CustomerEdge:
    cursor: str = strawberry.field(description="Opaque position; pass as `after` for what follows.")
    node: Customer = strawberry.field(description="The customer.")


@strawberry.type(description="A page of customers, by id (Relay cursor connection).")
class CustomerConnection:
    edges: list[CustomerEdge] = strawberry.field(description="The customers of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")

    @strawberry.field(description="How many customers there are in all (one count query).")
    async def total_count(self, info: ApiInfo) -> int:
        (record,) = await info.context.graph.read(CUSTOMERS_COUNT)
        return int(record["total"])


@strawberry.type
class Query:
    @strawberry.field(
        description="Customers, a page at a time, ordered by id.", permission_classes=[ReadScope]
    )
    async def customers(
        self,
        info: ApiInfo,
        first: Annotated[int, strawberry.argument(description="Page size (at most max_page_size).")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Customers after this cursor (an endCursor).")
        ] = None,
    ) -> CustomerConnection:
        check_first(first, info.context.settings)
        position = decode_cursor(after, ("c",)) if after else {"c": None}
        records = await info.context.graph.read(CUSTOMERS_PAGE, after=position["c"], limit=first + 1)
        edges = [
            CustomerEdge(
                cursor=encode_cursor({"c": r["id"]}),
                node=Customer(id=strawberry.ID(r["id"]), country=r["country"], order_count=int(r["orders"])),
            )
            for r in records[:first]
        ]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(records) > first,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
