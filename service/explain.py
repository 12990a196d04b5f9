# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Explain: the shortest meaningful path between two products, as typed steps.

A step joins two products through one piece of evidence: a tag both carry, a category both are in,
an observed co-purchase, or a learned association of the active model. The path never runs through
orders or customers (they make every product a few hops from every other, which explains nothing),
nor over a retired model's edges, and is at most six relationships (three to six steps).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any

import strawberry

from graph_schema import Label, Rel
from service.associations import AssociationKind, learned_kind
from service.auth import ReadScope
from service.context import ApiInfo
from service.errors import NotFoundError
from service.products import Product, load_products
from service.query_runner import statement

__all__ = ["Explanation", "PathStep", "Query", "StepKind", "steps_from_path"]

EXPLAIN_PATH = statement("associations.explain_path")


@strawberry.enum(description="The evidence one step of a path stands on.")
class StepKind(Enum):
    SHARED_TAG = strawberry.enum_value("shared_tag", description="Both products carry the tag `via`.")
    SAME_CATEGORY = strawberry.enum_value(
        "same_category", description="Both products are in the category `via`."
    )
    BOUGHT_WITH = strawberry.enum_value("bought_with", description="Observed in the same baskets.")
    LEARNED_ASSOCIATION = strawberry.enum_value(
        "learned_association", description="An edge of the active model version."
    )


@strawberry.type(description="One step of an explanation path: from one product to the next.")
class PathStep:
    kind: StepKind = strawberry.field(description="What joins the two products.")
    source: Product = strawberry.field(name="from", description="The product this step starts from.")
    target: Product = strawberry.field(name="to", description="The product this step reaches.")
    via: str | None = strawberry.field(description="The shared tag or category name; null for direct edges.")
    baskets: int | None = strawberry.field(description="BOUGHT_WITH: shared baskets.")
    lift: float | None = strawberry.field(description="BOUGHT_WITH: lift.")
    score: float | None = strawberry.field(description="LEARNED_ASSOCIATION: the model's score.")
    association_kind: AssociationKind | None = strawberry.field(
        description="LEARNED_ASSOCIATION: complement or substitute."
    )
    summary: str = strawberry.field(description="The step in words.")


@strawberry.type(description="Why two products are related: the shortest meaningful path between them.")
class Explanation:
    source: Product = strawberry.field(name="from", description="The first product.")
    target: Product = strawberry.field(name="to", description="The second product.")
    found: bool = strawberry.field(description="False when no path of at most six relationships exists.")
    model_version: str | None = strawberry.field(
        description="The active model version whose edges were allowed."
    )
    steps: list[PathStep] = strawberry.field(description="The path, step by step, from `from` to `to`.")


def _product(node: Mapping[str, Any]) -> Product:
    return Product.from_row(
        {
            "id": node["id"],
            "title": node["name"],
            "description": node["description"],
            "price": node["price"],
            "updated_at": node["updated_at"],
            "embedding_model": node["embedding_model"],
            "has_embedding": node["has_embedding"],
        }
    )


def steps_from_path(nodes: Sequence[Mapping[str, Any]], rels: Sequence[Mapping[str, Any]]) -> list[PathStep]:
    """Product-to-product steps from a path's nodes and relationships (Tag/Category nodes become `via`)."""
    steps: list[PathStep] = []
    i = 0
    while i < len(nodes) - 1:
        source = _product(nodes[i])
        middle = nodes[i + 1]
        if middle["label"] == Label.PRODUCT:
            rel = rels[i]
            if rel["type"] == Rel.BOUGHT_WITH:
                baskets, lift = rel["baskets"], rel["lift"]
                summary = f"{source.product_id} and {middle['id']} were bought together in {baskets} baskets"
                if lift is not None:
                    summary += f" (lift {lift:.2f})"
                steps.append(
                    PathStep(
                        kind=StepKind.BOUGHT_WITH,
                        source=source,
                        target=_product(middle),
                        via=None,
                        baskets=baskets,
                        lift=lift,
                        score=None,
                        association_kind=None,
                        summary=summary,
                    )
                )
            else:
                kind = learned_kind(rel["kind"])
                steps.append(
                    PathStep(
                        kind=StepKind.LEARNED_ASSOCIATION,
                        source=source,
                        target=_product(middle),
                        via=None,
                        baskets=None,
                        lift=None,
                        score=rel["score"],
                        association_kind=kind,
                        summary=f"model {rel['version']} associates {source.product_id} with {middle['id']}"
                        f" as {rel['kind']} (score {float(rel['score'] or 0):.3f})",
                    )
                )
            i += 1
            continue
        target = _product(nodes[i + 2])
        shared = middle["name"]
        if middle["label"] == Label.TAG:
            kind_, summary = (
                StepKind.SHARED_TAG,
                f"{source.product_id} and {target.product_id} are both tagged {shared!r}",
            )
        else:
            kind_, summary = (
                StepKind.SAME_CATEGORY,
                f"{source.product_id} and {target.product_id} are both in {shared!r}",
            )
        steps.append(
            PathStep(
                kind=kind_,
                source=source,
                target=target,
                via=shared,
                baskets=None,
                lift=None,
                score=None,
                association_kind=None,
                summary=summary,
            )
        )
        i += 2
    return steps


@strawberry.type
class Query:
    @strawberry.field(
        description="The shortest meaningful path between two products (shared tags and categories, "
        "co-purchases, learned associations), as typed steps.",
        permission_classes=[ReadScope],
    )
    async def explain(
        self,
        info: ApiInfo,
        from_id: Annotated[
            strawberry.ID, strawberry.argument(name="from", description="The first product id.")
        ],
        to_id: Annotated[strawberry.ID, strawberry.argument(name="to", description="The second product id.")],
    ) -> Explanation:
        source, target = str(from_id), str(to_id)
        (row,) = await info.context.graph.read(EXPLAIN_PATH, source=source, target=target)
        missing = [
            (name, value)
            for name, value, found in (
                ("from", source, row["source_found"]),
                ("to", target, row["target_found"]),
            )
            if not found
        ]
        if missing:
            shown = "; ".join(f"unknown product id {value!r} in argument {name!r}" for name, value in missing)
            raise NotFoundError(shown, ids=[value for _, value in missing])
        first, second = await info.context.loader(load_products).load_many([source, target])
        assert first is not None and second is not None  # both were just found
        nodes, rels = row["nodes"], row["rels"]
        return Explanation(
            source=first,
            target=second,
            found=nodes is not None or source == target,
            model_version=row["version"],
            steps=steps_from_path(nodes, rels) if nodes else [],
        )
