"""The cost of a GraphQL operation, estimated before it runs, and the extension that refuses an
operation over ``max_query_cost``.

The depth, alias and token limits bound a document's shape but not its work: three nested
``associations(first: 100)`` stay inside all three and ask Neo4j for a million rows. The estimate is
the number of objects the answer would hold, each weighted by what producing it costs:

.. math::

    \\text{cost}(f, m) = m \\, n_f \\, w_f + \\sum_{g \\in \\text{children}(f)} \\text{cost}(g, m \\, n_f)

where ``m`` is how many times the enclosing selection is produced, ``n_f`` the page size of ``f``
(its ``first`` or ``last`` argument, from the document, the variables or the schema's default; a
connection's default page when it has neither; 1 for a single object; :data:`UNPAGED_LIST_SIZE` for
a list without ``first``; for a batch field, the number of its ids times its ``first``,
:data:`BATCH_ARGUMENTS`) and ``w_f`` its weight (:data:`FIELD_WEIGHTS`, :data:`KIND_WEIGHTS`; 1 for
an object, 0 for a scalar, which is read with its object). ``first`` counts as at most
``max_page_size``: a larger one is refused by its own limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from service.errors import ErrorCode
from service.pagination import DEFAULT_PAGE_SIZE

__all__ = [
    "BATCH_ARGUMENTS",
    "FIELD_WEIGHTS",
    "KIND_WEIGHTS",
    "UNPAGED_LIST_SIZE",
    "QueryCostLimit",
    "operation_cost",
]

PAGE_ARGUMENT = "first"
BACKWARD_PAGE_ARGUMENT = "last"
PAGE_ARGUMENTS = (PAGE_ARGUMENT, BACKWARD_PAGE_ARGUMENT)
#: Assumed length of an object list without ``first`` (a product's categories, a path's steps).
UNPAGED_LIST_SIZE = 5
#: Lists that are the page of their parent's ``first`` (already counted there): length 1 here.
PAGE_ITEMS = frozenset({("Recommendations", "items"), ("ReviewSummary", "items")})
#: A connection's ``edges`` are the page of the field that returned it (``first`` or ``last``).
CONNECTION_SUFFIX = "Connection"
#: Batch fields: one object per id of their list argument (times ``first`` where they page too). Their
#: weight is 1: one batched read serves every id (recommendationsFor(100 customers, first: 10) costs
#: 4,000, under the default max_query_cost).
BATCH_ARGUMENTS: Mapping[tuple[str, str], str] = {
    ("Query", "productsByIds"): "ids",
    ("Query", "recommendationsFor"): "customerIds",
    ("Query", "nodes"): "ids",
}
#: Per-object weights of fields that do more than read one node: a vector search, the customer and
#: basket reads of a recommendation, a shortest-path search.
FIELD_WEIGHTS: Mapping[tuple[str, str], float] = {
    ("Query", "similarProducts"): 2.0,
    ("Query", "recommendations"): 3.0,
    ("Query", "explain"): 10.0,
    ("Product", "associationCount"): 2.0,
}
#: Per-association weights by ``kind``: observed co-purchases are sorted from all of a product's
#: BOUGHT_WITH edges (hundreds for a best seller); learned edges are a version's stored top k.
KIND_WEIGHTS: Mapping[str, float] = {"OBSERVED": 2.0}
ASSOCIATION_FIELDS = frozenset({("Product", "associations"), ("Query", "associations")})


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
    max_page_size: int,
) -> float:
    """The estimated cost of ``operation`` (a validated document's operation) with ``variables``."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0.0
    walker = _CostWalker(schema, fragments, dict(variables or {}), max_page_size, operation)
    return walker.selection_cost(root, operation.selection_set, 1.0)


class _CostWalker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        max_page_size: int,
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_page_size = max_page_size
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)

    def selection_cost(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode, times: float
    ) -> float:
        total = 0.0
        for owner, node in self._fields(parent, selection_set):
            field = owner.fields.get(node.name.value)
            if field is None:  # __typename and the introspection fields
                continue
            size = self._size(owner.name, node, field)
            total += times * size * self._weight(owner.name, node, field)
            if node.selection_set is not None:
                total += self.selection_cost(get_named_type(field.type), node.selection_set, times * size)
        return total

    def _fields(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode
    ) -> Iterator[tuple[GraphQLObjectType | GraphQLInterfaceType, FieldNode]]:
        """Each field node with the type it is selected on (fragments followed; a union's or an
        interface's possible types each counted, which bounds whichever one is answered)."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                    yield parent, selection
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition: GraphQLNamedType | None = self.schema.get_type(fragment.type_condition.name.value)
                inner = fragment.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                inner = selection.selection_set
            else:  # pragma: no cover - graphql-core has no other selection kind
                continue
            if condition is not None:
                yield from self._fields(condition, inner)

    def _argument(self, node: FieldNode, name: str, field: GraphQLField) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                if isinstance(argument.value, VariableNode):
                    return self.variables.get(argument.value.name.value)
                return value_from_ast_untyped(argument.value)
        declared = field.args.get(name)
        if declared is None or declared.default_value is Undefined:
            return None
        return declared.default_value

    def _size(self, owner: str, node: FieldNode, field: GraphQLField) -> float:
        batch = BATCH_ARGUMENTS.get((owner, node.name.value))
        if batch is not None:
            ids = self._argument(node, batch, field)
            # unknown until the variables are coerced: the most; one id may come as a bare value
            count = len(ids) if isinstance(ids, list) else 1 if ids is not None else self.max_page_size
            page = self._page(node, field) if PAGE_ARGUMENT in field.args else 1.0
            return float(min(count, self.max_page_size)) * page
        if PAGE_ARGUMENT in field.args:
            return self._page(node, field)
        if not isinstance(get_nullable_type(field.type), GraphQLList):
            return 1.0
        if (owner, node.name.value) in PAGE_ITEMS:
            return 1.0
        if owner.endswith(CONNECTION_SUFFIX) and node.name.value == "edges":
            return 1.0
        return float(UNPAGED_LIST_SIZE)

    def _page(self, node: FieldNode, field: GraphQLField) -> float:
        values = [self._argument(node, name, field) for name in PAGE_ARGUMENTS if name in field.args]
        sizes = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if sizes:
            return float(min(max(max(sizes), 0), self.max_page_size))
        if BACKWARD_PAGE_ARGUMENT in field.args and all(v is None for v in values):
            return float(DEFAULT_PAGE_SIZE)  # a connection asked for neither end: its default page
        return float(self.max_page_size)  # unknown until the variables are coerced: the most

    def _weight(self, owner: str, node: FieldNode, field: GraphQLField) -> float:
        named = get_named_type(field.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0.0
        key = (owner, node.name.value)
        if key in ASSOCIATION_FIELDS:
            kind = self._argument(node, "kind", field)
            return KIND_WEIGHTS.get(str(kind), 1.0)
        return FIELD_WEIGHTS.get(key, 1.0)


class QueryCostLimit(SchemaExtension):
    """Refuses an operation whose :func:`operation_cost` exceeds ``max_cost`` before it executes.

    It runs after the (cached) validation, so it only ever walks valid documents, and sets the
    refusal as the operation's pre-execution error: nothing is resolved. ``max_cost`` 0 turns it off.
    """

    def __init__(self, max_cost: int, max_page_size: int) -> None:
        super().__init__()
        self.max_cost = max_cost
        self.max_page_size = max_page_size

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if self.max_cost > 0 and document is not None and not context.pre_execution_errors:
            operation = get_operation_ast(document, context.operation_name)
            if operation is not None:
                fragments = {
                    d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
                }
                cost = operation_cost(
                    context.schema._schema, operation, fragments, context.variables, self.max_page_size
                )
                if cost > self.max_cost:
                    # a new list: the validation cache hands every request the same one
                    context.pre_execution_errors = [cost_error(cost, self.max_cost)]
        yield


def cost_error(cost: float, max_cost: int) -> GraphQLError:
    """The refusal, naming the setting, the estimate and how to get under it."""
    return GraphQLError(
        f"the query would cost about {cost:,.0f} (objects weighted by their work), over "
        f"max_query_cost={max_cost}; ask for smaller pages (`first`) or nest fewer lists",
        extensions={
            "code": str(ErrorCode.LIMIT_EXCEEDED),
            "limit": "max_query_cost",
            "maximum": max_cost,
            "cost": round(cost),
        },
    )
