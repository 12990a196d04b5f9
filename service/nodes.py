# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) used as a decorator with arguments is typed as returning Any, which strict
# mypy reports on every resolver; the resolvers themselves are typed.)
"""Relay's object identification: global ids, and ``node``/``nodes`` to refetch any object by one.

A global id is Strawberry's: base64 of ``TypeName:id``, ``id`` being the shop's or the service's own
id (``productId``, ``customerId``, ``versionId``, ``jobId``). Products, customers, model versions
and jobs implement ``Node``; each type answers a batch of its ids in one Cypher round trip, so
``nodes`` costs one round trip per type asked for, however many ids.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition

from service.auth import ReadScope
from service.context import ApiInfo
from service.errors import BadInputError
from service.pagination import check_batch

__all__ = ["Query", "local_id"]


def local_id(value: str, type_name: str) -> str:
    """``value`` itself, or the id inside it when it is a global id of ``type_name``: arguments named
    ``id`` take either."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except ValueError:
        return value
    return global_id.node_id if global_id.type_name == type_name else value


def _global_id(value: str, argument: str) -> relay.GlobalID:
    try:
        return relay.GlobalID.from_id(value)
    except ValueError:
        raise BadInputError(
            f"{value[:60]!r} in argument {argument!r} is not a global id (the `id` of a Product, "
            "Customer, ModelVersion or Job); own ids such as productId go to the fields that take them"
        ) from None


def _node_type(info: ApiInfo, global_id: relay.GlobalID) -> type[relay.Node]:
    definition = info.schema.get_type_by_name(global_id.type_name)
    origin = definition.origin if isinstance(definition, StrawberryObjectDefinition) else None
    if not (inspect.isclass(origin) and issubclass(origin, relay.Node)):
        raise BadInputError(
            f"global id {str(global_id)!r} names {global_id.type_name!r}, which is not a Node type "
            "(Product, Customer, ModelVersion or Job)"
        )
    return origin


async def _resolve(info: ApiInfo, values: list[strawberry.ID], argument: str) -> list[Any]:
    ids = [_global_id(str(value), argument) for value in values]
    by_type: dict[type[relay.Node], list[str]] = defaultdict(list)
    for global_id in ids:
        by_type[_node_type(info, global_id)].append(global_id.node_id)
    found: dict[tuple[str, str], Any] = {}
    for node_type, node_ids in by_type.items():
        name = node_type.__strawberry_definition__.name  # type: ignore[attr-defined]
        nodes = node_type.resolve_nodes(info=info, node_ids=node_ids, required=False)
        if inspect.isawaitable(nodes):
            nodes = await nodes
        found.update(((name, node_id), node) for node_id, node in zip(node_ids, nodes, strict=True))
    return [found[(global_id.type_name, global_id.node_id)] for global_id in ids]


@strawberry.type
class Query:
    @strawberry.field(
        description="Any object with a global id (`id` of a Product, Customer, ModelVersion or Job); "
        "null when it no longer exists.",
        permission_classes=[ReadScope],
    )
    async def node(
        self,
        info: ApiInfo,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> relay.Node | None:
        (node,) = await _resolve(info, [id], "id")
        return node  # type: ignore[no-any-return]

    @strawberry.field(
        description="Objects by global id in the order asked, null for one that no longer exists; one "
        "Cypher round trip per type asked for, at most max_page_size ids.",
        permission_classes=[ReadScope],
    )
    async def nodes(
        self,
        info: ApiInfo,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids.")],
    ) -> list[relay.Node | None]:
        check_batch(len(ids), info.context.settings, "ids")
        return await _resolve(info, ids, "ids")
