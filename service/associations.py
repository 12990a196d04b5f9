# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Associations: what goes with a product. Learned edges of the active model version (complements
and substitutes), or observed co-purchases, each with the evidence that explains it.

Readers follow only the edges whose ``version`` is the id of the single active ``ModelVersion``,
looked up in the same statement as the edges, so a reader never mixes two versions, even while an
activation commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from graph_schema import AssociationKind as LearnedKind
from service.auth import ReadScope
from service.context import ApiInfo
from service.errors import ApiError, ErrorCode, NotFoundError
from service.events import recommendation_id
from service.filters import FilterArgument, ProductRules, resolve_rules
from service.pagination import check_first
from service.query_runner import Graph, statement

if TYPE_CHECKING:
    from service.products import Product

__all__ = [
    "Association",
    "AssociationCount",
    "AssociationExplanation",
    "AssociationKind",
    "KindArgument",
    "MinScoreArgument",
    "Query",
    "learned_kind",
    "load_counts",
    "resolve_associations",
]

ASSOCIATIONS_LEARNED = statement("associations.learned")
ASSOCIATIONS_OBSERVED = statement("associations.observed")
EXPLANATIONS = statement("associations.explanations")
COUNTS = statement("associations.counts")


# The learned kinds of graph_schema.AssociationKind (the `kind` of an ASSOCIATED edge), and OBSERVED,
# the API's name for the co-purchase edges (BOUGHT_WITH).
@strawberry.enum(description="Which associations to follow.")
class AssociationKind(Enum):
    COMPLEMENT = strawberry.enum_value(
        LearnedKind.COMPLEMENT.value, description="Learned: bought together with it (a lamp and its bulbs)."
    )
    SUBSTITUTE = strawberry.enum_value(
        LearnedKind.SUBSTITUTE.value, description="Learned: bought instead of it (another lamp)."
    )
    OBSERVED = strawberry.enum_value(
        "observed", description="Observed co-purchases (BOUGHT_WITH, association rules); no model needed."
    )


# Every learned kind of the graph model is a member of the API's enum, by the same name and value: a
# kind added to graph_schema without one here fails at import.
_LEARNED: dict[str, AssociationKind] = {kind.value: AssociationKind[kind.name] for kind in LearnedKind}


#: The ``kind`` argument of the association fields.
KindArgument = Annotated[
    AssociationKind,
    strawberry.argument(description="COMPLEMENT, SUBSTITUTE (learned) or OBSERVED (co-purchases)."),
]
#: The ``minScore`` argument of the association fields.
MinScoreArgument = Annotated[
    float | None,
    strawberry.argument(
        description="Drop associations scoring below this (scores lie in [0, 1]); no filter by default."
    ),
]


def learned_kind(value: object) -> AssociationKind | None:
    """The API's kind for the ``kind`` of a learned edge; None for a value the graph model does not know."""
    return _LEARNED.get(value) if isinstance(value, str) else None


@strawberry.enum(description="Where an association comes from.")
class EvidenceSource(Enum):
    LEARNED = strawberry.enum_value("learned", description="An edge written by a trained model version.")
    OBSERVED = strawberry.enum_value("observed", description="Co-purchase statistics counted from orders.")


class NoActiveModelError(ApiError):
    code = ErrorCode.NOT_FOUND


@dataclass(frozen=True)
class AssociationRows:
    found: bool
    version: str | None
    items: list[dict[str, Any]]


AssociationKey = tuple[str, AssociationKind, int, float | None, ProductRules]


async def load_associations(graph: Graph, keys: list[AssociationKey]) -> list[AssociationRows]:
    # One query per distinct (kind, first, minScore, filter): normally one per field level.
    groups: dict[tuple[AssociationKind, int, float | None, ProductRules], list[str]] = defaultdict(list)
    for product_id, kind, first, min_score, rules in keys:
        groups[(kind, first, min_score, rules)].append(product_id)
    found: dict[AssociationKey, AssociationRows] = {}
    for (kind, first, min_score, rules), ids in groups.items():
        arguments = {"ids": ids, "first": first, "min_score": min_score, "filter": rules.parameter()}
        if kind is AssociationKind.OBSERVED:
            records = await graph.read(ASSOCIATIONS_OBSERVED, **arguments)
        else:
            records = await graph.read(ASSOCIATIONS_LEARNED, kind=kind.value, **arguments)
        for record in records:
            found[(record["id"], kind, first, min_score, rules)] = AssociationRows(
                record["found"], record["version"], list(record["items"])
            )
    return [found.get(key, AssociationRows(False, None, [])) for key in keys]


@strawberry.type(
    description="How many associations a product has, to tell why `associations(first: n)` answered "
    "fewer than n: `stored` below n means the model keeps fewer for it; `matching` below n (with "
    "`stored` at least n) means `minScore` filtered them."
)
class AssociationCount:
    stored: int = strawberry.field(
        description="Associations of the kind stored for the product (learned: in the active version)."
    )
    matching: int = strawberry.field(
        description="Those of them scoring at least `minScore` (all without it)."
    )


CountKey = tuple[str, AssociationKind, float | None]


async def load_counts(graph: Graph, keys: list[CountKey]) -> list[AssociationCount]:
    groups: dict[tuple[AssociationKind, float | None], list[str]] = defaultdict(list)
    for product_id, kind, min_score in keys:
        groups[(kind, min_score)].append(product_id)
    found: dict[CountKey, AssociationCount] = {}
    for (kind, min_score), ids in groups.items():
        for r in await graph.read(COUNTS, ids=ids, kind=kind.value, min_score=min_score):
            if r["found"]:
                found[(r["id"], kind, min_score)] = AssociationCount(
                    stored=r["stored"], matching=r["matching"]
                )
    missing = [key[0] for key in keys if key not in found]
    if missing:
        raise NotFoundError(f"unknown product id {missing[0]!r}", ids=missing)
    return [found[key] for key in keys]


@dataclass(frozen=True)
class PairEvidence:
    baskets: int
    support: float | None
    confidence: float | None
    lift: float | None
    last_seen: str | None
    shared_tags: list[str]
    shared_categories: list[str]


async def load_evidence(graph: Graph, pairs: list[tuple[str, str]]) -> list[PairEvidence]:
    records = await graph.read(EXPLANATIONS, pairs=[{"source": s, "target": t} for s, t in pairs])
    found = {
        (r["source"], r["target"]): PairEvidence(
            baskets=int(r["baskets"] or 0),
            support=r["support"],
            confidence=r["confidence"],
            lift=r["lift"],
            last_seen=r["last_seen"],
            shared_tags=list(r["shared_tags"]),
            shared_categories=list(r["shared_categories"]),
        )
        for r in records
    }
    empty = PairEvidence(0, None, None, None, None, [], [])
    return [found.get(pair, empty) for pair in pairs]


@strawberry.type(description="Why two products are associated: the evidence in the graph.")
class AssociationExplanation:
    source: EvidenceSource = strawberry.field(description="Learned by a model, or observed in orders.")
    model_version: str | None = strawberry.field(
        description="The model version that learned the edge; null for observed associations."
    )
    shared_baskets: int = strawberry.field(description="Orders that contained both products.")
    support: float | None = strawberry.field(
        description="Share of all baskets holding both; null if never together."
    )
    confidence: float | None = strawberry.field(description="P(other product | this product) over baskets.")
    lift: float | None = strawberry.field(
        description="Confidence over the other product's base rate (>1: together more than by chance)."
    )
    last_seen: str | None = strawberry.field(
        description="The last time they were bought together (ISO 8601)."
    )
    shared_tags: list[str] = strawberry.field(description="Tags both products carry.")
    shared_categories: list[str] = strawberry.field(description="Categories both products are filed under.")
    summary: str = strawberry.field(description="The evidence in one sentence.")


def summarise(evidence: PairEvidence, source: EvidenceSource, version: str | None, score: float) -> str:
    parts: list[str] = []
    if source is EvidenceSource.LEARNED:
        parts.append(f"learned by model {version} (score {score:.3f})")
    if evidence.baskets:
        lift = f", lift {evidence.lift:.2f}" if evidence.lift is not None else ""
        parts.append(f"bought together in {evidence.baskets} baskets{lift}")
    elif source is EvidenceSource.LEARNED:
        parts.append("never bought together yet")
    if evidence.shared_tags:
        parts.append("both tagged " + ", ".join(evidence.shared_tags[:5]))
    if evidence.shared_categories:
        parts.append("both in " + ", ".join(evidence.shared_categories[:3]))
    text = "; ".join(parts) or "no shared evidence"
    return text[0].upper() + text[1:]


@strawberry.type(description="A product associated with another, with its score, rank and explanation.")
class Association:
    product: Annotated[Product, strawberry.lazy("service.products")] = strawberry.field(
        description="The associated product."
    )
    kind: AssociationKind = strawberry.field(description="COMPLEMENT, SUBSTITUTE or OBSERVED.")
    score: float = strawberry.field(
        description="In [0, 1], comparable across products and model versions. COMPLEMENT: the "
        "probability, measured on held-out baskets, that this product is in the next basket holding "
        "the source. SUBSTITUTE: text similarity (cosine, clipped at 0). OBSERVED: the confidence "
        "P(product | source)."
    )
    rank: int = strawberry.field(description="1 for the best association of the source product.")
    model_version: str | None = strawberry.field(
        description="Model version of a learned edge; null for observed."
    )
    source_id: strawberry.ID = strawberry.field(description="The product this association starts from.")
    recommendation_id: strawberry.ID = strawberry.field(
        description="The id of the list this item came in (the same for every item of one list): send "
        "it with the item's events (recordEvents) to attribute them to the version and kind."
    )

    @strawberry.field(description="The evidence: shared baskets, lift, shared tags and the model version.")
    async def explanation(self, info: ApiInfo) -> AssociationExplanation:
        evidence = await info.context.loader(load_evidence).load(
            (str(self.source_id), str(self.product.product_id))
        )
        source = EvidenceSource.OBSERVED if self.kind is AssociationKind.OBSERVED else EvidenceSource.LEARNED
        return AssociationExplanation(
            source=source,
            model_version=self.model_version,
            shared_baskets=evidence.baskets,
            support=evidence.support,
            confidence=evidence.confidence,
            lift=evidence.lift,
            last_seen=evidence.last_seen,
            shared_tags=evidence.shared_tags,
            shared_categories=evidence.shared_categories,
            summary=summarise(evidence, source, self.model_version, self.score),
        )


async def resolve_associations(
    info: ApiInfo,
    product_id: str,
    kind: AssociationKind,
    first: int,
    min_score: float | None,
    given: FilterArgument,
) -> list[Association]:
    from service.products import Product

    check_first(first, info.context.settings)
    rules: ProductRules = await resolve_rules(info, given)
    rows = await info.context.loader(load_associations).load((product_id, kind, first, min_score, rules))
    if not rows.found:
        raise NotFoundError(f"unknown product id {product_id!r} in argument 'productId'", ids=[product_id])
    if kind is not AssociationKind.OBSERVED and rows.version is None:
        raise NoActiveModelError(
            "no model version is active yet, so there are no learned associations: run the `retrain` "
            "mutation, activate a version, or ask for kind: OBSERVED"
        )
    list_id = recommendation_id(rows.version, f"associations:{kind.value}")
    return [
        Association(
            product=Product.from_row(item),
            kind=kind,
            score=float(item["score"]),
            rank=int(item["rank"]) if item["rank"] is not None else index + 1,
            model_version=rows.version,
            source_id=strawberry.ID(product_id),
            recommendation_id=list_id,
        )
        for index, item in enumerate(rows.items)
    ]


@strawberry.type
class Query:
    @strawberry.field(
        description="What goes with a product: the active model's learned complements or substitutes, "
        "or observed co-purchases, best first, each with score, rank and explanation.",
        permission_classes=[ReadScope],
    )
    async def associations(
        self,
        info: ApiInfo,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The source product.")],
        kind: KindArgument = AssociationKind.COMPLEMENT,
        first: Annotated[
            int, strawberry.argument(description="How many to return (at most max_page_size).")
        ] = 10,
        min_score: MinScoreArgument = None,
        filter: FilterArgument = None,
    ) -> list[Association]:
        return await resolve_associations(info, str(product_id), kind, first, min_score, filter)
