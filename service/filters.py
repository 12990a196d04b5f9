"""The shop's rules on what a list may show: excluded ids, category include/exclude, a price range,
and availability, shared by ``associations``, ``recommendations`` and ``similarProducts``.

A filter travels to Cypher as one ``$filter`` map (:meth:`ProductRules.parameter`) and is applied in
the statement, before its ``LIMIT``, so ``first`` still counts filtered products. Unavailable
products are left out of every list unless ``includeUnavailable`` is set, with or without a filter.
A category selects its subcategories too: category ids are slug paths (``home/lighting`` lies under
``home``), so the statements compare ids by prefix instead of walking the tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import strawberry

from service.context import ApiInfo
from service.errors import BadInputError, LimitExceededError, NotFoundError
from service.query_runner import Graph, statement

__all__ = [
    "DEFAULT_RULES",
    "FilterArgument",
    "ProductFilter",
    "ProductRules",
    "load_category_exists",
    "resolve_rules",
]

KNOWN_CATEGORIES = statement("products.known_categories")

#: Ids a filter may list (excluded products, categories), so a filter stays a small parameter.
MAX_FILTER_IDS = 1000


@strawberry.input(description="Which products a list may show (all given conditions apply together).")
class ProductFilter:
    exclude_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Never return these products (e.g. what the page already shows)."
    )
    categories: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Only products in one of these categories or their subcategories (category ids).",
    )
    exclude_categories: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="No product in these categories or their subcategories."
    )
    min_price: float | None = strawberry.field(
        default=None, description="Only products at this price or more (products without a price fail)."
    )
    max_price: float | None = strawberry.field(
        default=None, description="Only products at this price or less (products without a price fail)."
    )
    include_unavailable: bool = strawberry.field(
        default=False, description="Also return products marked unavailable (left out by default)."
    )


#: The ``filter`` argument of the list fields.
FilterArgument = Annotated[
    ProductFilter | None,
    strawberry.argument(
        description="Business rules on the returned products; unavailable ones are "
        "always left out unless `includeUnavailable`."
    ),
]


@dataclass(frozen=True, slots=True)
class ProductRules:
    """A checked filter: hashable, so it can be part of a DataLoader key."""

    exclude_ids: frozenset[str] = frozenset()
    categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    include_unavailable: bool = False

    def parameter(self) -> dict[str, Any]:
        """The ``$filter`` map the statements read."""
        return {
            "exclude_ids": sorted(self.exclude_ids),
            "categories": list(self.categories),
            "exclude_categories": list(self.exclude_categories),
            "min_price": self.min_price,
            "max_price": self.max_price,
            "include_unavailable": self.include_unavailable,
        }

    @property
    def restricts_products(self) -> bool:
        """True when the filter can leave out an available product (beyond availability)."""
        return bool(
            self.exclude_ids
            or self.categories
            or self.exclude_categories
            or self.min_price is not None
            or self.max_price is not None
        )


DEFAULT_RULES = ProductRules()


def _ids(values: list[strawberry.ID], argument: str) -> tuple[str, ...]:
    if len(values) > MAX_FILTER_IDS:
        raise LimitExceededError(
            f"filter.{argument} has {len(values)} ids; the maximum is {MAX_FILTER_IDS}",
            limit=f"filter.{argument}",
            maximum=MAX_FILTER_IDS,
        )
    return tuple(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def _price(value: float | None, argument: str) -> float | None:
    if value is not None and not (value >= 0 and value != float("inf")):
        raise BadInputError(f"filter.{argument} must be a finite price of at least 0, got {value}")
    return value


async def load_category_exists(graph: Graph, ids: list[str]) -> list[bool]:
    (row,) = await graph.read(KNOWN_CATEGORIES, ids=ids)
    known = set(row["known"])
    return [category in known for category in ids]


async def resolve_rules(info: ApiInfo, given: ProductFilter | None) -> ProductRules:
    """The checked rules of ``given``: a clear error for an empty price range, too many ids or a
    category id the graph does not have (a typo would otherwise silently empty the list)."""
    if given is None:
        return DEFAULT_RULES
    low, high = _price(given.min_price, "minPrice"), _price(given.max_price, "maxPrice")
    if low is not None and high is not None and low > high:
        raise BadInputError(f"filter.minPrice ({low}) is above filter.maxPrice ({high})")
    rules = ProductRules(
        exclude_ids=frozenset(_ids(given.exclude_ids, "excludeIds")),
        # "home/" and "home" are one category: a trailing slash would otherwise match nothing
        categories=tuple(c.strip("/") for c in _ids(given.categories, "categories")),
        exclude_categories=tuple(c.strip("/") for c in _ids(given.exclude_categories, "excludeCategories")),
        min_price=low,
        max_price=high,
        include_unavailable=given.include_unavailable,
    )
    asked = [*rules.categories, *rules.exclude_categories]
    if asked:
        exists = await info.context.loader(load_category_exists).load_many(asked)
        unknown = [c for c, found in zip(asked, exists, strict=True) if not found]
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:10])
            raise NotFoundError(
                f"unknown category id {shown} in argument 'filter' (category ids are slug paths such "
                "as 'home/lighting'; see Product.categories)",
                ids=unknown[:10],
            )
    return rules
