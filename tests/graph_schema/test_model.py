"""graph_schema is the one source of the graph model: the migrations and the API agree with it."""

from __future__ import annotations

import re

from graph_schema import EMBEDDING_DIMENSIONS, VECTOR_INDEX, AssociationKind, discover
from service.associations import AssociationKind as ApiAssociationKind


def test_the_vector_index_is_created_with_the_embedding_dimensions() -> None:
    created = [
        statement
        for migration in discover()
        for statement in migration.statements
        if re.search(rf"CREATE VECTOR INDEX {VECTOR_INDEX}\b", statement)
    ]
    assert len(created) == 1
    dimensions = re.search(r"`vector\.dimensions`:\s*(\d+)", created[0])
    assert dimensions is not None and int(dimensions.group(1)) == EMBEDDING_DIMENSIONS


def test_the_api_kinds_are_the_learned_kinds_and_observed() -> None:
    api = {kind.name: kind.value for kind in ApiAssociationKind}
    assert api.pop("OBSERVED") == "observed"
    assert api == {kind.name: kind.value for kind in AssociationKind}
