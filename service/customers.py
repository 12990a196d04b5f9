# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Customers and their orders, a page at a time: what a shop's back office (or the reference shop
page) picks a customer from before asking for their recommendations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import strawberry
from strawberry import relay

from service.auth import ReadScope
from service.context import ApiInfo
from service.pagination import After, Before, Connection, First, Last, keyset_connection, page_request
from service.products import Product, load_products
from service.query_runner import Graph, statement

__all__ = ["Customer", "Order", "OrderLine", "Query", "load_customers"]

CUSTOMERS_PAGE = statement("customers.page")
CUSTOMERS_COUNT = statement("customers.count")
CUSTOMERS_BY_IDS = statement("customers.by_ids")
ORDERS_OF_CUSTOMER = statement("orders.of_customer")
ORDERS_COUNT = statement("orders.count_of_customer")
#: Cursors: an order's time and id (a customer's orders, newest first); a customer's id.
ORDER_CURSOR = ("at", "id")
CUSTOMER_CURSOR = ("customer",)


async def load_customers(graph: Graph, ids: list[str]) -> list[Customer | None]:
    records = await graph.read(CUSTOMERS_BY_IDS, ids=ids)
    found = {r["id"]: Customer.from_row(r) for r in records}
    return [found.get(customer_id) for customer_id in ids]


@strawberry.type(description="A line of an order: a product, how many and at what price.")
class OrderLine:
    product_id: strawberry.ID = strawberry.field(description="The product's shop id.")
    quantity: int | None = strawberry.field(description="How many; null when the shop did not say.")
    unit_price: float | None = strawberry.field(description="Price paid per unit; null when unknown.")

    @strawberry.field(description="The product; null once it was deleted.")
    async def product(self, info: ApiInfo) -> Product | None:
        return await info.context.loader(load_products).load(str(self.product_id))


@strawberry.type(description="An order a customer placed.")
class Order:
    order_id: strawberry.ID = strawberry.field(description="The shop's order id (invoice number).")
    ts: str | None = strawberry.field(description="When it was placed (ISO 8601, UTC).")
    lines: list[OrderLine] = strawberry.field(description="What it held, by product id.")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Order:
        return cls(
            order_id=strawberry.ID(row["id"]),
            ts=row["ts"],
            lines=[
                OrderLine(
                    product_id=strawberry.ID(line["product_id"]),
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                )
                for line in row["lines"]
            ],
        )


@strawberry.type(description="A customer of the shop.")
class Customer(relay.Node):
    customer_id: strawberry.ID = strawberry.field(
        description="The shop's customer id: what `customerId` arguments take; `id` is the global id (Relay)."
    )
    country: str | None = strawberry.field(description="Country, when known.")
    order_count: int = strawberry.field(description="Orders the customer placed.")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Customer:
        return cls(
            customer_id=strawberry.ID(row["id"]), country=row["country"], order_count=int(row["orders"])
        )

    @classmethod
    def resolve_id(cls, root: Customer, *, info: strawberry.Info) -> str:
        return str(root.customer_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: ApiInfo, node_ids: Iterable[str], required: bool = False
    ) -> list[Customer | None]:
        return await info.context.loader(load_customers).load_many(list(node_ids))

    @strawberry.field(
        description="The customer's orders, newest first, a page at a time in either direction."
    )
    async def orders(
        self,
        info: ApiInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Order]:
        request = page_request(info.context.settings, ORDER_CURSOR, first, after, last, before)
        return await keyset_connection(
            info.context.graph,
            request,
            (ORDERS_OF_CUSTOMER, ORDERS_COUNT),
            Order.from_row,
            lambda row: {"at": row["ts"], "id": row["id"]},
            customer_id=str(self.customer_id),
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="Customers, a page at a time in either direction, ordered by id.",
        permission_classes=[ReadScope],
    )
    async def customers(
        self,
        info: ApiInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Customer]:
        request = page_request(info.context.settings, CUSTOMER_CURSOR, first, after, last, before)
        return await keyset_connection(
            info.context.graph,
            request,
            (CUSTOMERS_PAGE, CUSTOMERS_COUNT),
            Customer.from_row,
            lambda row: {"customer": row["id"]},
        )
