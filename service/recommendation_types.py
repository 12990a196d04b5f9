# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) used as a decorator with arguments is typed as returning Any, which strict
# mypy reports on every resolver; the resolvers themselves are typed.)
"""What a recommendation answer looks like in the schema: the list, its items, the strategy that
made it and each item's reason (:mod:`service.recommendations` fills them)."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph_schema.recommended import Reason
from service.associations import EvidenceSource
from service.events import recommendation_id
from service.products import Product

__all__ = [
    "CustomerRecommendations",
    "Recommendation",
    "RecommendationReason",
    "RecommendationStrategy",
    "Recommendations",
]


@strawberry.enum(description="How a recommendation list was made.")
class RecommendationStrategy(Enum):
    CUSTOMER_MODEL = strawberry.enum_value(
        "customer_model",
        description="The learned customer model: the customer's recommendations from the last retrain, "
        "re-ranked with their purchases up to now and the basket.",
    )
    CUSTOMER_HISTORY = strawberry.enum_value(
        "customer_history", description="From the customer's purchases over association edges."
    )
    BASKET = strawberry.enum_value("basket", description="From the given basket over association edges.")
    POPULAR = strawberry.enum_value(
        "popular",
        description="The most ordered products: the fallback for unknown or cold customers and baskets.",
    )


@strawberry.enum(description="Why a product is recommended (CUSTOMER_MODEL lists).")
class RecommendationReason(Enum):
    REPEAT = strawberry.enum_value(Reason.REPEAT.value, description="The customer bought it before.")
    SIMILAR_CUSTOMERS = strawberry.enum_value(
        Reason.SIMILAR_CUSTOMERS.value, description="Customers who buy like this one order it."
    )
    COMPLEMENTS = strawberry.enum_value(
        Reason.COMPLEMENTS.value, description="It goes with the basket, or with what the customer buys."
    )
    TRENDING = strawberry.enum_value(Reason.TRENDING.value, description="Popular with customers now.")


@strawberry.type(description="One recommended product.")
class Recommendation:
    product: Product = strawberry.field(description="The recommended product.")
    score: float = strawberry.field(
        description="CUSTOMER_MODEL: the stored score plus the weighted purchase share and basket "
        "complement score (docs/api.md); otherwise summed edge scores over the seeds (learned score or "
        "observed confidence); order count for POPULAR."
    )
    rank: int = strawberry.field(description="Position in the list, from 1.")
    because: list[strawberry.ID] = strawberry.field(
        description="Seed products (bought or in the basket) whose edges led here, at most five; "
        "for CUSTOMER_MODEL the basket product it goes with, if that is why; empty for POPULAR."
    )
    category: strawberry.ID | None = strawberry.field(description="The product's first category id, if any.")
    reason: RecommendationReason | None = strawberry.field(
        default=None, description="Why it is recommended (CUSTOMER_MODEL lists only)."
    )
    explanation: str | None = strawberry.field(
        default=None,
        description="The reason in the shopper's words, e.g. 'you order this about every 3 weeks; last "
        "ordered 25 days ago' or 'goes with X in your basket' (CUSTOMER_MODEL lists only).",
    )


@strawberry.type(description="A recommendation list and how it was made.")
class Recommendations:
    strategy: RecommendationStrategy = strawberry.field(description="Which strategy answered.")
    edge_source: EvidenceSource | None = strawberry.field(
        description="LEARNED (the active model's complement edges) or OBSERVED (co-purchases); "
        "null for POPULAR."
    )
    model_version: str | None = strawberry.field(
        description="The active model version when learned edges answered."
    )
    fallback_reason: str | None = strawberry.field(
        description="Why a simpler strategy answered than the one asked for; null when none was needed."
    )
    unknown_product_ids: list[strawberry.ID] = strawberry.field(
        description="Basket ids that are not products (ignored)."
    )
    items: list[Recommendation] = strawberry.field(description="Recommended products, best first.")

    @strawberry.field(
        description="The id of this answer: send it with the events of its products (recordEvents) "
        "to attribute them to the model version and strategy that made it."
    )
    def recommendation_id(self) -> strawberry.ID:
        return recommendation_id(self.model_version, self.strategy.name.lower())  # the enum's value


@strawberry.type(description="One customer's recommendations in a batch (recommendationsFor).")
class CustomerRecommendations:
    customer_id: strawberry.ID = strawberry.field(description="The customer asked for.")
    recommendations: Recommendations = strawberry.field(description="Their list and how it was made.")
