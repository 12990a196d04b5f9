"""The schema: every domain's queries and mutations merged, with the limits and error masking."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from affinity.settings import Environment, Settings
from service import (
    associations,
    customers,
    events,
    explain,
    ingest,
    jobs,
    model_versions,
    nodes,
    products,
    recommendations,
    removal,
)
from service.errors import MaskUnexpectedErrors
from service.metrics import MetricsExtension
from service.query_cost import QueryCostLimit
from service.rate_limit import RateLimit, RateLimiter

__all__ = ["Mutation", "Query", "build_schema"]

Query = merge_types(
    "Query",
    (
        products.Query,
        associations.Query,
        recommendations.Query,
        explain.Query,
        model_versions.Query,
        jobs.Query,
        events.Query,
        customers.Query,
        nodes.Query,
    ),
)
Query.__doc__ = (
    "Read the product graph: products, associations, recommendations, explanations, customers, models, "
    "jobs, and any object by its global id (Relay)."
)
Mutation = merge_types(
    "Mutation",
    (ingest.Mutation, removal.Mutation, events.Mutation, jobs.Mutation, model_versions.Mutation),
)
Mutation.__doc__ = (
    "Write: ingest records, mark products unavailable, delete products, erase customers, start a "
    "retrain, activate or roll back a model version (admin scope)."
)


class CachedParser(ParserCache):
    """Strawberry's ``ParserCache``, leaving documents that do not parse to Strawberry's own parse.

    ``ParserCache`` parses in its ``on_parse`` hook, before Strawberry's error handling around
    parsing, so a syntax error (the token limit among them) escaped the operation hooks: it reached
    the client without ``extensions.code`` and ``requestId``. Found by the abuse tests
    (``tests/service/test_fuzz.py``, a comment flood). Here a failed parse leaves it unset;
    Strawberry parses it again where its errors are reported (and masked) like any other.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except GraphQLError:
            context.graphql_document = None
        yield


class AffinitySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors (unknown ids, limits, permissions) are answers, not incidents; unexpected
        # ones are logged with their traceback and request id by MaskUnexpectedErrors.
        return None


def build_schema(settings: Settings, rate_limiter: RateLimiter | None = None) -> strawberry.Schema:
    # The depth and alias limits are validation rules. Their rule classes are made once, here, and
    # every request's extension adds the same classes, so ValidationCache (keyed by the document and
    # the rules) hits for a repeated document; a fresh limiter per request would make new classes.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        MetricsExtension,
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: MaskUnexpectedErrors(mask=settings.environment is not Environment.development),
        # Clients repeat the same few documents: parse and validate each once (limits included).
        lambda: CachedParser(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if rate_limiter is not None:  # after the cached validation, which would overwrite its refusal
        extensions.append(lambda: RateLimit(rate_limiter))
    # after validation: only valid documents are costed
    extensions.append(lambda: QueryCostLimit(settings.max_query_cost, settings.max_page_size))
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    if settings.otel_endpoint:  # a span per operation and per resolver, under the request's span
        extensions.append(OpenTelemetryExtension)
    return AffinitySchema(
        query=strawberry.type(Query, description=Query.__doc__),
        mutation=strawberry.type(Mutation, description=Mutation.__doc__),
        extensions=extensions,
    )
