# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Recommendations: what a customer, a basket, or a customer filling a basket should get next.

A customer known to the active version's customer model gets its list (:mod:`service.customer_model`:
the stored recommendations re-ranked with their live purchases and the basket; strategy
``CUSTOMER_MODEL``), each item with its reason and a sentence for the shopper.

Otherwise (a version without a customer model, a customer it cannot place), from the seed products
(the customer's purchases, most recent first, or the basket), follow the active model's complement
edges and add up their scores per reached product (weighted by how often a seed was bought);
products already bought (or in the basket) are dropped. When the model has no
edge from the seeds, observed co-purchases (``BOUGHT_WITH``) answer instead; when neither reaches
anything (an unknown or cold customer, a basket of new products), the most ordered products do.
The response names the strategy and the kind of edges that answered, and why it fell back.

``diversify`` interleaves categories: the best product of each category first, then the second
best of each, and so on, so one category cannot fill the list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import strawberry

from service.associations import EvidenceSource
from service.auth import ReadScope
from service.context import ApiInfo
from service.customer_model import CustomerModelList, ScoredItem, customer_model_list, customer_model_lists
from service.errors import BadInputError, LimitExceededError
from service.filters import FilterArgument, ProductFilter, ProductRules, resolve_rules
from service.pagination import check_batch, check_first
from service.products import Product
from service.query_runner import Graph, statement
from service.recommendation_types import (
    CustomerRecommendations,
    Recommendation,
    RecommendationReason,
    Recommendations,
    RecommendationStrategy,
)
from service.refreshed import Refreshed

__all__ = ["Query", "diversify"]

SEEDS_CUSTOMER = statement("recommendations.seeds_customer")
SEEDS_BASKET = statement("recommendations.seeds_basket")
RECOMMEND_LEARNED = statement("recommendations.learned")
RECOMMEND_OBSERVED = statement("recommendations.observed")
POPULAR = statement("recommendations.popular")
ITEMS = statement("recommendations.items")

#: The most recent distinct purchases a customer's recommendations start from.
MAX_SEEDS = 50
#: How many popular products are kept in memory, and for how long (the fallback's scan is costly).
POPULAR_CACHED = 500
POPULAR_TTL_S = 60.0
#: Candidates fetched per returned item when diversifying (room to swap categories in).
DIVERSIFY_POOL = 3


def diversify(rows: Sequence[Mapping[str, Any]], first: int) -> list[Mapping[str, Any]]:
    """Round-robin over categories in order of each category's best row; rows keep their order
    within a category. Rows without a category each count as a category of their own."""
    groups: dict[object, list[Mapping[str, Any]]] = {}
    for index, row in enumerate(rows):
        key: object = row["category"] if row["category"] is not None else ("none", index)
        groups.setdefault(key, []).append(row)
    queues = list(groups.values())
    out: list[Mapping[str, Any]] = []
    depth = 0
    while len(out) < first and any(depth < len(q) for q in queues):
        out.extend(q[depth] for q in queues if depth < len(q))
        depth += 1
    return out[:first]


async def popular(
    info: ApiInfo, exclude: set[str], limit: int, rules: ProductRules
) -> list[Mapping[str, Any]]:
    """The most ordered products (cached: counting them scans every order) that pass ``rules``, checked
    on every call so a product marked unavailable drops out at once."""
    graph = info.context.graph

    async def count_orders() -> dict[str, float]:
        records = await graph.read(POPULAR, limit=POPULAR_CACHED)
        return {r["id"]: float(r["score"]) for r in records}

    cache = info.context.services.cache
    ranking = cache.get("popular")
    if ranking is None:  # made once, not on every call as a setdefault default would be
        ranking = cache["popular"] = Refreshed(POPULAR_TTL_S)
    orders: dict[str, float] = await ranking.get(count_orders)
    ids = [pid for pid in orders if pid not in exclude]
    passing = await graph.read(ITEMS, ids=ids, filter=rules.parameter(), limit=limit)
    return [{**row, "score": orders[row["id"]], "because": []} for row in passing]


def _check_basket(basket: list[str], max_size: int) -> list[str]:
    basket = list(dict.fromkeys(basket))
    if not basket:
        raise BadInputError("`basket` is empty")
    if len(basket) > max_size:
        raise LimitExceededError(
            f"basket has {len(basket)} products; the maximum is {max_size} (max_page_size)",
            limit="max_page_size",
            maximum=max_size,
        )
    return basket


async def _from_customer_model(
    info: ApiInfo,
    customer_id: str,
    basket: list[str],
    unknown: list[str],
    first: int,
    exclude_purchased: bool,
    spread: bool,
    rules: ProductRules,
) -> Recommendations | None:
    """The customer model's answer, or None when the active version has none or it reaches nothing."""
    listed = await customer_model_list(
        info.context.graph,
        customer_id,
        basket,
        exclude_purchased,
        first * DIVERSIFY_POOL if spread else first,
        rules,
    )
    if listed is None or not _placed(listed):
        return None  # no customer model, or nothing to know this customer by: basket, then popular
    chosen = listed.items[:first]
    if spread:
        rows = diversify([{"category": i.row["category"], "item": i} for i in listed.items], first)
        chosen = [row["item"] for row in rows]
    return _model_answer(customer_id, listed, chosen, unknown)


def _model_answer(
    customer_id: str, listed: CustomerModelList, chosen: Sequence[ScoredItem], unknown: Sequence[str]
) -> Recommendations:
    reason = None
    if listed.stored == 0:
        reason = (
            f"customer {customer_id!r} has no stored recommendations in model {listed.version} "
            "(new since that retrain): their purchases and the basket answered"
        )
    return Recommendations(
        strategy=RecommendationStrategy.CUSTOMER_MODEL,
        edge_source=EvidenceSource.LEARNED,
        model_version=listed.version,
        fallback_reason=reason,
        unknown_product_ids=[strawberry.ID(u) for u in unknown],
        items=[
            Recommendation(
                product=Product.from_row(item.row),
                score=item.score,
                rank=index + 1,
                because=[strawberry.ID(b) for b in item.because],
                category=item.row["category"],
                reason=RecommendationReason(item.reason.value),
                explanation=item.explanation,
            )
            for index, item in enumerate(chosen)
        ],
    )


def _placed(listed: CustomerModelList | None) -> bool:
    """Whether the customer model knows the customer by anything (stored lists or purchases)."""
    return listed is not None and bool(listed.items) and (listed.stored > 0 or listed.bought > 0)


async def recommend(
    info: ApiInfo,
    customer_id: str | None,
    basket: list[str] | None,
    first: int,
    exclude_purchased: bool | None,
    spread: bool,
    given: ProductFilter | None,
) -> Recommendations:
    settings = info.context.settings
    check_first(first, settings)
    if customer_id is None and basket is None:
        raise BadInputError("give `customerId`, `basket`, or both")
    rules = await resolve_rules(info, given)
    graph: Graph = info.context.graph
    unknown: list[str] = []
    if basket is not None:
        basket = _check_basket([str(b) for b in basket], settings.max_page_size)
        (row,) = await graph.read(SEEDS_BASKET, basket=basket)
        known = set(row["known"])
        unknown = [b for b in basket if b not in known]
        basket = [b for b in basket if b in known]
    if customer_id is not None:
        answer = await _from_customer_model(
            info, customer_id, basket or [], unknown, first, bool(exclude_purchased), spread, rules
        )
        if answer is not None:
            return answer
    if basket is not None:
        seeds = [{"id": b, "weight": 1.0} for b in basket]
        exclude = set(basket)
        strategy = RecommendationStrategy.BASKET
        cold_reason = "no product of the basket has associations yet"
    else:
        assert customer_id is not None
        (row,) = await graph.read(SEEDS_CUSTOMER, customer_id=customer_id)
        history = list(row["history"])
        seeds = history[:MAX_SEEDS]
        exclude = {h["id"] for h in history} if exclude_purchased is not False else set()
        strategy = RecommendationStrategy.CUSTOMER_HISTORY
        if not row["found"]:
            cold_reason = f"unknown customer {customer_id!r}"
        elif not history:
            cold_reason = f"customer {customer_id!r} has no orders yet"
        else:
            cold_reason = f"customer {customer_id!r}'s purchases have no associations yet"
    version: str | None = row["version"]
    limit = first * DIVERSIFY_POOL if spread else first
    rows: Sequence[Mapping[str, Any]] = []
    source: EvidenceSource | None = None
    reason: str | None = None
    if seeds and version is not None:
        rows = await graph.read(
            RECOMMEND_LEARNED,
            seeds=seeds,
            version=version,
            exclude=list(exclude),
            limit=limit,
            filter=rules.parameter(),
        )
        source = EvidenceSource.LEARNED
    if seeds and not rows:
        reason = (
            "no model version is active"
            if version is None
            else f"model {version} has no edges from the seeds"
        ) + ": observed co-purchases answered"
        rows = await graph.read(
            RECOMMEND_OBSERVED, seeds=seeds, exclude=list(exclude), limit=limit, filter=rules.parameter()
        )
        source = EvidenceSource.OBSERVED
    if not rows:
        reason = f"{cold_reason}: the most ordered products answered"
        strategy, source = RecommendationStrategy.POPULAR, None
        rows = await popular(info, exclude, limit, rules)
    chosen = diversify(rows, first) if spread else list(rows[:first])
    return Recommendations(
        strategy=strategy,
        edge_source=source,
        model_version=version if source is EvidenceSource.LEARNED else None,
        fallback_reason=reason,
        unknown_product_ids=[strawberry.ID(u) for u in unknown],
        items=[
            Recommendation(
                product=Product.from_row(r),
                score=float(r["score"]),
                rank=index + 1,
                because=[strawberry.ID(b) for b in r["because"]],
                category=r["category"],
            )
            for index, r in enumerate(chosen)
        ],
    )


async def recommend_many(
    info: ApiInfo, customer_ids: list[str], first: int, given: ProductFilter | None
) -> list[CustomerRecommendations]:
    """Lists for many customers (an e-mail campaign) in at most three round trips however many:
    the customer model's candidates, their products through the filter, and the popular fallback
    for customers the model cannot place (unknown, or no purchases and no stored list)."""
    settings = info.context.settings
    check_first(first, settings)
    customer_ids = list(dict.fromkeys(customer_ids))
    if not customer_ids:
        raise BadInputError("`customerIds` is empty")
    check_batch(len(customer_ids), settings, "customerIds")
    rules = await resolve_rules(info, given)
    lists = await customer_model_lists(info.context.graph, customer_ids, first, rules) or {}
    fallback: list[Mapping[str, Any]] = []
    if any(not _placed(lists.get(c)) for c in customer_ids):
        fallback = await popular(info, set(), first, rules)
    answers = []
    for customer_id in customer_ids:
        listed = lists.get(customer_id)
        if listed is not None and _placed(listed):
            answer = _model_answer(customer_id, listed, listed.items[:first], [])
        else:
            why = (
                "the active version has no customer model"
                if not lists
                else (
                    f"the customer model cannot place customer {customer_id!r} (unknown, or no purchases yet)"
                )
            )
            answer = Recommendations(
                strategy=RecommendationStrategy.POPULAR,
                edge_source=None,
                model_version=None,
                fallback_reason=f"{why}: the most ordered products answered",
                unknown_product_ids=[],
                items=[
                    Recommendation(
                        product=Product.from_row(r),
                        score=float(r["score"]),
                        rank=index + 1,
                        because=[],
                        category=r["category"],
                    )
                    for index, r in enumerate(fallback)
                ],
            )
        answers.append(
            CustomerRecommendations(customer_id=strawberry.ID(customer_id), recommendations=answer)
        )
    return answers


@strawberry.type
class Query:
    @strawberry.field(
        description="What a customer or a basket should get next (give exactly one of `customerId`, "
        "`basket`), with the strategy that answered; unknown or cold customers get popular products.",
        permission_classes=[ReadScope],
    )
    async def recommendations(
        self,
        info: ApiInfo,
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Recommend from this customer's purchases.")
        ] = None,
        basket: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="Recommend for these product ids.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="How many to return (at most max_page_size).")
        ] = 10,
        exclude_purchased: Annotated[
            bool | None,
            strawberry.argument(
                description="Drop what the customer already bought (basket items always are). Default: "
                "kept by CUSTOMER_MODEL (buying again is the most common next purchase), dropped by "
                "the traversal strategies."
            ),
        ] = None,
        diversify: Annotated[
            bool, strawberry.argument(description="Spread the list across categories.")
        ] = False,
        filter: FilterArgument = None,
    ) -> Recommendations:
        return await recommend(
            info,
            str(customer_id) if customer_id is not None else None,
            [str(b) for b in basket] if basket is not None else None,
            first,
            exclude_purchased,
            diversify,
            filter,
        )

    @strawberry.field(
        description="Recommendations for many customers at once (e-mail campaigns), in a constant "
        "number of round trips: the customer model's lists without a basket, or the most ordered "
        "products for customers it cannot place. At most max_page_size customers.",
        permission_classes=[ReadScope],
    )
    async def recommendations_for(
        self,
        info: ApiInfo,
        customer_ids: Annotated[list[strawberry.ID], strawberry.argument(description="Customer ids.")],
        first: Annotated[
            int, strawberry.argument(description="How many per customer (at most max_page_size).")
        ] = 10,
        filter: FilterArgument = None,
    ) -> list[CustomerRecommendations]:
        return await recommend_many(info, [str(c) for c in customer_ids], first, filter)
