# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) and strawberry.mutation(...) used as decorators with arguments are typed as
# returning Any, which strict mypy reports on every resolver; the resolvers themselves are typed.)
"""Products: lookup by id, cursor-paginated listing with full-text search and tag/category filters,
semantic similarity through the vector index, and each product's tags, categories and reviews.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import strawberry
from neo4j import exceptions as neo4j_errors
from strawberry import relay

from graph_schema import FULLTEXT_INDEX
from service.associations import (
    Association,
    AssociationCount,
    AssociationKind,
    KindArgument,
    MinScoreArgument,
    load_counts,
    resolve_associations,
)
from service.auth import ReadScope
from service.context import ApiInfo
from service.errors import BadInputError, NotFoundError
from service.filters import FilterArgument, resolve_rules
from service.nodes import local_id
from service.pagination import PageInfo, check_batch, check_first, decode_cursor, encode_cursor
from service.product_details import Category, ReviewSummary, load_categories, load_reviews, load_tags
from service.product_search import check_search_words, lucene_terms, nearest, search_too_long
from service.query_runner import Graph, statement

__all__ = ["Product", "ProductConnection", "Query", "load_products", "require_products"]

PRODUCT_BY_IDS = statement("products.by_ids")
PRODUCTS_PAGE = statement("products.page")
PRODUCTS_COUNT = statement("products.count")
PRODUCTS_SEARCH = statement("products.search")
PRODUCTS_SEARCH_COUNT = statement("products.search_count")
SIMILAR_BY_PRODUCT = statement("products.similar_by_product")
SIMILAR_BY_VECTOR = statement("products.similar_by_vector")

# ---------------------------------------------------------------------------------------------
# Loaders: one Cypher round trip per batch of keys.


async def load_products(graph: Graph, ids: list[str]) -> list[Product | None]:
    records = await graph.read(PRODUCT_BY_IDS, ids=ids)
    found = {record["id"]: Product.from_row(record) for record in records}
    return [found.get(product_id) for product_id in ids]


async def require_products(info: ApiInfo, ids: list[str], argument: str) -> list[Product]:
    """The products ``ids``, or a NOT_FOUND error naming every unknown id and the argument."""
    products = await info.context.loader(load_products).load_many(ids)
    missing = [product_id for product_id, product in zip(ids, products, strict=True) if product is None]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:10])
        raise NotFoundError(f"unknown product id {shown} in argument {argument!r}", ids=missing[:10])
    return [product for product in products if product is not None]


# ---------------------------------------------------------------------------------------------
# Types


@strawberry.type(description="A product of the catalogue: a node of the graph with its neighbourhood.")
class Product(relay.Node):
    product_id: strawberry.ID = strawberry.field(
        description="The shop's product id (stock code): what `productId`, `basket` and `ids` arguments "
        "take. `id` is the global id (Relay), for `node` and `nodes`."
    )
    title: str = strawberry.field(description="Product title.")
    description: str = strawberry.field(description="Longer product text (may be empty).")
    price: float | None = strawberry.field(description="Unit price, when known.")
    updated_at: str | None = strawberry.field(description="When the product was last written (ISO 8601).")
    embedding_model: str | None = strawberry.field(
        description="The text encoder of the stored embedding; null before the product is embedded."
    )
    has_embedding: bool = strawberry.field(
        description="True once the product's text is embedded (it then appears in similarProducts)."
    )
    # Known when the row came from the product lookup; otherwise the field loads it.
    _available: strawberry.Private[bool | None] = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Product:
        return cls(
            product_id=strawberry.ID(row["id"]),
            title=row["title"] or "",
            description=row["description"] or "",
            price=row["price"],
            updated_at=row["updated_at"],
            embedding_model=row["embedding_model"],
            has_embedding=bool(row["has_embedding"]),
            _available=row.get("available"),
        )

    @classmethod
    def resolve_id(cls, root: Product, *, info: strawberry.Info) -> str:
        return str(root.product_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: ApiInfo, node_ids: Iterable[str], required: bool = False
    ) -> list[Product | None]:
        return await info.context.loader(load_products).load_many(list(node_ids))

    @strawberry.field(
        description="False once marked unavailable (setAvailability, or `available` in the input): "
        "the product stays in the graph but lists leave it out unless asked."
    )
    async def available(self, info: ApiInfo) -> bool:
        if self._available is not None:
            return self._available
        loaded = await info.context.loader(load_products).load(str(self.product_id))
        return loaded is None or loaded._available is not False

    @strawberry.field(description="Tag names, sorted.")
    async def tags(self, info: ApiInfo) -> list[str]:
        return await info.context.loader(load_tags).load(str(self.product_id))

    @strawberry.field(description="Categories the product is filed under, each with its path.")
    async def categories(self, info: ApiInfo) -> list[Category]:
        return await info.context.loader(load_categories).load(str(self.product_id))

    @strawberry.field(description="Review count, mean rating and the newest `first` reviews.")
    async def reviews(
        self, info: ApiInfo, first: Annotated[int, strawberry.argument(description="Reviews to return.")] = 5
    ) -> ReviewSummary:
        check_first(first, info.context.settings)
        return await info.context.loader(load_reviews).load((str(self.product_id), first))

    @strawberry.field(
        description="What goes with this product: the active model's learned edges of `kind`, or the "
        "observed co-purchases (OBSERVED), best first, each with an explanation."
    )
    async def associations(
        self,
        info: ApiInfo,
        kind: KindArgument = AssociationKind.COMPLEMENT,
        first: Annotated[
            int, strawberry.argument(description="How many to return (at most max_page_size).")
        ] = 10,
        min_score: MinScoreArgument = None,
        filter: FilterArgument = None,
    ) -> list[Association]:
        return await resolve_associations(info, str(self.product_id), kind, first, min_score, filter)

    @strawberry.field(
        description="How many associations of `kind` the product has, before and after `minScore`: "
        "why an `associations` answer is shorter than `first`."
    )
    async def association_count(
        self,
        info: ApiInfo,
        kind: KindArgument = AssociationKind.COMPLEMENT,
        min_score: MinScoreArgument = None,
    ) -> AssociationCount:
        return await info.context.loader(load_counts).load((str(self.product_id), kind, min_score))


@strawberry.type(description="An edge of a product connection: a product and its cursor.")
class ProductEdge:
    cursor: str = strawberry.field(
        description="Opaque position of this edge; pass as `after` for what follows."
    )
    node: Product = strawberry.field(description="The product.")
    score: float | None = strawberry.field(description="Full-text relevance when searching; null otherwise.")


@strawberry.type(description="A page of products (Relay cursor connection).")
class ProductConnection:
    edges: list[ProductEdge] = strawberry.field(description="The products of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _count_args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many products match the filters in all (costs one count query).")
    async def total_count(self, info: ApiInfo) -> int:
        args = self._count_args
        stmt = PRODUCTS_SEARCH_COUNT if args.get("search") is not None else PRODUCTS_COUNT
        records = await info.context.graph.read(stmt, **args)
        return int(records[0]["total"])


@strawberry.type(description="A product near another product or a text in embedding space.")
class SimilarProduct:
    product: Product = strawberry.field(description="The similar product.")
    score: float = strawberry.field(description="Cosine similarity mapped to [0, 1] by the vector index.")


# ---------------------------------------------------------------------------------------------
# Queries


@strawberry.type
class Query:
    @strawberry.field(
        description="A product by id; an unknown id is a NOT_FOUND error.", permission_classes=[ReadScope]
    )
    async def product(
        self,
        info: ApiInfo,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The product's `productId` or its global `id`.")
        ],
    ) -> Product:
        (product,) = await require_products(info, [local_id(str(id), "Product")], "id")
        return product

    @strawberry.field(
        description="Products by id in the order asked, null for an id that is not a product (as "
        "Relay's `nodes`); one Cypher round trip however many ids, at most max_page_size.",
        permission_classes=[ReadScope],
    )
    async def products_by_ids(
        self,
        info: ApiInfo,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Product ids.")],
    ) -> list[Product | None]:
        check_batch(len(ids), info.context.settings, "ids")
        return await info.context.loader(load_products).load_many([str(i) for i in ids])

    @strawberry.field(
        description="Products, a page at a time (ordered by id, or by relevance with `search`), "
        "optionally filtered by tag and category.",
        permission_classes=[ReadScope],
    )
    async def products(
        self,
        info: ApiInfo,
        search: Annotated[
            str | None, strawberry.argument(description="Full-text search over titles and descriptions.")
        ] = None,
        tag: Annotated[str | None, strawberry.argument(description="Only products with this tag.")] = None,
        category: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only products in this category or its subcategories (category id)."
            ),
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size (at most max_page_size).")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Return products after this cursor (an endCursor).")
        ] = None,
    ) -> ProductConnection:
        settings = info.context.settings
        check_first(first, settings)
        filters: dict[str, Any] = {"tag": tag, "category": category}
        graph = info.context.graph
        if search is not None and search.strip():
            check_search_words(search, settings)
            terms = lucene_terms(search)
            position = decode_cursor(after, ("s", "id")) if after else {"s": None, "id": None}
            try:
                records = await graph.read(
                    PRODUCTS_SEARCH,
                    index=FULLTEXT_INDEX,
                    search=terms,
                    after_score=position["s"],
                    after_id=position["id"],
                    limit=first + 1,
                    **filters,
                )
            except neo4j_errors.ClientError as error:
                # A few words can still be many clauses once analysed ("a-b-c-...", ideographs).
                if "TooManyClauses" not in (error.message or ""):
                    raise
                raise search_too_long("too many terms once analysed", settings) from None
            count_args = {"index": FULLTEXT_INDEX, "search": terms, **filters}
        else:
            position = decode_cursor(after, ("id",)) if after else {"id": None}
            records = await graph.read(PRODUCTS_PAGE, after=position["id"], limit=first + 1, **filters)
            count_args = dict(filters)
        edges = [
            ProductEdge(
                cursor=encode_cursor(
                    {"id": r["id"]} if r["score"] is None else {"s": r["score"], "id": r["id"]}
                ),
                node=Product.from_row(r),
                score=r["score"],
            )
            for r in records[:first]
        ]
        page_info = PageInfo(
            has_next_page=len(records) > first,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return ProductConnection(edges=edges, page_info=page_info, _count_args=count_args)

    @strawberry.field(
        description="Products nearest in meaning to a text or to a product (vector index over text "
        "embeddings; brand-new products appear once embedded). Give exactly one of `text`, `productId`.",
        permission_classes=[ReadScope],
    )
    async def similar_products(
        self,
        info: ApiInfo,
        text: Annotated[
            str | None, strawberry.argument(description="Free text, embedded with the product text encoder.")
        ] = None,
        product_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="A product whose stored embedding to start from."),
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="How many to return (at most max_page_size).")
        ] = 10,
        filter: FilterArgument = None,
    ) -> list[SimilarProduct]:
        check_first(first, info.context.settings)
        if (text is None) == (product_id is None):
            raise BadInputError("give exactly one of `text` and `productId`")
        rules = await resolve_rules(info, filter)
        graph = info.context.graph
        if product_id is not None:
            found = await nearest(graph, SIMILAR_BY_PRODUCT, first, rules, id=str(product_id))
            if found is None:
                raise NotFoundError(f"unknown product id {str(product_id)!r} in argument 'productId'")
            if not found["has_embedding"]:
                raise NotFoundError(
                    f"product {str(product_id)!r} has no embedding yet (it is embedded by the next refresh "
                    "or retrain job); try `text` instead"
                )
        else:
            assert text is not None
            if not text.strip():
                raise BadInputError("`text` is empty")
            # Leave a second of the budget for the vector query itself.
            vector = await info.context.services.embedder.embed(text, wait_s=graph.remaining() - 1.0)
            found = await nearest(graph, SIMILAR_BY_VECTOR, first, rules, vector=vector)
            assert found is not None  # the statement always answers one row
        return [SimilarProduct(product=Product.from_row(hit), score=hit["score"]) for hit in found["hits"]]
