from __future__ import annotations

import re

import pytest

import cypher
from cypher import UnknownQueryError


def test_statements_load_by_dotted_name() -> None:
    text = cypher.query("schema.record_migration")
    assert text.startswith("MERGE (m:SchemaMigration")
    assert "//" not in text, "comment lines are stripped"


def test_unknown_name_fails_loudly_with_a_hint() -> None:
    with pytest.raises(UnknownQueryError, match=r"schema\.record_migration"):
        cypher.query("schema.record_migratoin")


def test_every_statement_is_parameterised_not_formatted() -> None:
    names = cypher.all_names()
    assert len(names) > 10
    for name in names:
        text = cypher.query(name)
        # Python format fields or concatenation markers would mean values were spliced into text.
        assert not re.search(r"\{[a-z_]+\}", text.replace("{id:", "")), name
        assert "%s" not in text, name
