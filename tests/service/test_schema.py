"""The schema and the API's pure functions, without a database."""

from __future__ import annotations

import subprocess
import sys

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLUnionType

from affinity.settings import Settings
from service.api_keys import ApiKeys
from service.auth import Scope, authenticate
from service.errors import BadInputError, LimitExceededError
from service.explain import StepKind, steps_from_path
from service.metrics import operation_label
from service.pagination import check_first, decode_cursor, encode_cursor
from service.product_search import lucene_terms
from service.recommendations import diversify
from service.schema import build_schema


@pytest.fixture(scope="module")
def api_settings() -> Settings:
    """Known keys and page size, not the suite's ``settings``: these tests need no servers."""
    return Settings(api_keys_read=["r1", "r2"], api_keys_admin=["a1"], max_page_size=50)


def test_every_type_field_argument_and_value_is_described(api_settings: Settings) -> None:
    schema = build_schema(api_settings)._schema
    missing: list[str] = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not value.description]
        if isinstance(kind, GraphQLUnionType):
            assert kind.types
    assert not missing, missing


def test_the_api_never_imports_torch() -> None:
    code = "import sys, service.app, service.schema; print('torch' in sys.modules, 'celery' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_introspection_switch() -> None:
    closed = build_schema(Settings(introspection=False))
    result = closed.execute_sync("{ __schema { queryType { name } } }")
    assert result.errors and "introspection" in result.errors[0].message.lower()


def test_keys_and_scopes(api_settings: Settings) -> None:
    assert authenticate("a1", ApiKeys(api_settings)).scopes == {Scope.READ, Scope.ADMIN}
    assert authenticate("r2", ApiKeys(api_settings)).scopes == {Scope.READ}
    assert authenticate("nope", ApiKeys(api_settings)).scopes == frozenset()
    assert authenticate(None, ApiKeys(api_settings)).anonymous
    assert authenticate("r1", ApiKeys(api_settings)).fingerprint != "r1"


def test_page_size_limit_names_the_setting(api_settings: Settings) -> None:
    assert check_first(50, api_settings) == 50
    with pytest.raises(
        LimitExceededError, match=r"first=51 exceeds the maximum page size of 50 \(max_page_size\)"
    ):
        check_first(51, api_settings)
    with pytest.raises(BadInputError):
        check_first(0, api_settings)


def test_cursors_round_trip_and_refuse_tampering() -> None:
    cursor = encode_cursor({"s": 1.25, "id": "P1"})
    assert decode_cursor(cursor, ("s", "id")) == {"s": 1.25, "id": "P1"}
    with pytest.raises(BadInputError, match="invalid cursor"):
        decode_cursor("%%%", ("id",))
    with pytest.raises(BadInputError, match="does not belong"):
        decode_cursor(encode_cursor({"id": "P1"}), ("s", "id"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("desk lamp", "desk lamp"),
        ("lamp) OR (*:*", r"lamp\) \(\*\:\*"),
        ('"quoted" title~2', r"\"quoted\" title\~2"),
        ("AND", '"AND"'),
        ("a && b || c", r"a \&\& b \|\| c"),
    ],
)
def test_search_text_is_escaped_for_lucene(text: str, expected: str) -> None:
    assert lucene_terms(text) == expected


def test_diversify_round_robins_categories() -> None:
    rows = [
        {"id": "a1", "category": "a"},
        {"id": "a2", "category": "a"},
        {"id": "a3", "category": "a"},
        {"id": "b1", "category": "b"},
        {"id": "n1", "category": None},
        {"id": "b2", "category": "b"},
    ]
    assert [r["id"] for r in diversify(rows, 4)] == ["a1", "b1", "n1", "a2"]
    assert [r["id"] for r in diversify(rows, 10)] == ["a1", "b1", "n1", "a2", "b2", "a3"]


def _node(label: str, id_: str) -> dict[str, object]:
    return {
        "label": label,
        "id": id_,
        "name": id_,
        "description": "",
        "price": None,
        "updated_at": None,
        "embedding_model": None,
        "has_embedding": False,
    }


def test_path_becomes_product_to_product_steps() -> None:
    nodes = [_node("Product", "A"), _node("Tag", "red"), _node("Product", "B"), _node("Product", "C")]
    rels = [
        {"type": "TAGGED"},
        {"type": "TAGGED"},
        {"type": "BOUGHT_WITH", "baskets": 3, "lift": 2.0, "score": None, "kind": None, "version": None},
    ]
    steps = steps_from_path(nodes, rels)
    assert [(s.kind, s.source.product_id, s.target.product_id, s.via) for s in steps] == [
        (StepKind.SHARED_TAG, "A", "B", "red"),
        (StepKind.BOUGHT_WITH, "B", "C", None),
    ]
    assert steps[1].baskets == 3 and "lift 2.00" in steps[1].summary


def test_operation_labels_are_bounded() -> None:
    assert operation_label(None) == "anonymous"
    assert operation_label("Lookup") == "Lookup"
    assert operation_label("bad name; drop") == "invalid"
    labels = {operation_label(f"Op{i}") for i in range(1000)}
    assert "other" in labels and len(labels) <= 201
