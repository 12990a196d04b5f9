"""A product's neighbourhood in the schema: its categories and reviews as types, and the batch
loaders of its tags, categories and reviews (one Cypher round trip per batch of products)."""

from __future__ import annotations

from collections import defaultdict

import strawberry

from service.query_runner import Graph, statement

__all__ = ["Category", "Review", "ReviewSummary", "load_categories", "load_reviews", "load_tags"]

PRODUCT_TAGS = statement("products.tags")
PRODUCT_CATEGORIES = statement("products.categories")
PRODUCT_REVIEWS = statement("products.reviews")


@strawberry.type(description="A node of the category tree a product is filed under.")
class Category:
    id: strawberry.ID = strawberry.field(description="Stable category id.")
    name: str = strawberry.field(description="Display name.")
    path: list[str] = strawberry.field(description="Names from the root category down to this one.")


@strawberry.type(description="A customer's review of a product.")
class Review:
    id: strawberry.ID = strawberry.field(description="Review id.")
    rating: int = strawberry.field(description="Stars, 1 to 5.")
    text: str = strawberry.field(description="What the customer wrote (may be empty).")
    ts: str | None = strawberry.field(description="When it was written (ISO 8601, UTC).")
    customer_id: strawberry.ID | None = strawberry.field(description="Who wrote it, when known.")


@strawberry.type(description="How a product is rated, and its newest reviews.")
class ReviewSummary:
    count: int = strawberry.field(description="Number of reviews.")
    average_rating: float | None = strawberry.field(description="Mean rating; null without reviews.")
    items: list[Review] = strawberry.field(description="The newest reviews, at most `first` of them.")


async def load_tags(graph: Graph, ids: list[str]) -> list[list[str]]:
    records = await graph.read(PRODUCT_TAGS, ids=ids)
    found = {record["id"]: list(record["tags"]) for record in records}
    return [found.get(product_id, []) for product_id in ids]


async def load_categories(graph: Graph, ids: list[str]) -> list[list[Category]]:
    records = await graph.read(PRODUCT_CATEGORIES, ids=ids)
    found = {
        record["id"]: [
            Category(id=c["id"], name=c["name"] or c["id"], path=list(c["path"]))
            for c in record["categories"]
        ]
        for record in records
    }
    return [found.get(product_id, []) for product_id in ids]


async def load_reviews(graph: Graph, keys: list[tuple[str, int]]) -> list[ReviewSummary]:
    # Keys are (product id, first); one query per distinct `first` (normally one per field level).
    by_first: dict[int, list[str]] = defaultdict(list)
    for product_id, first in keys:
        by_first[first].append(product_id)
    found: dict[tuple[str, int], ReviewSummary] = {}
    for first, ids in by_first.items():
        for record in await graph.read(PRODUCT_REVIEWS, ids=ids, first=first):
            found[(record["id"], first)] = ReviewSummary(
                count=record["count"],
                average_rating=record["average_rating"],
                items=[
                    Review(
                        id=r["id"],
                        rating=r["rating"],
                        text=r["text"] or "",
                        ts=r["ts"],
                        customer_id=r["customer_id"],
                    )
                    for r in record["reviews"]
                ],
            )
    return [found.get(key, ReviewSummary(count=0, average_rating=None, items=[])) for key in keys]
