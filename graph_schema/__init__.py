"""The graph model as code: labels, relationship types, constraints, indexes and migrations."""

from graph_schema.migrations import Migration, MigrationError, applied, discover, migrate, pending
from graph_schema.model import (
    EMBEDDING_DIMENSIONS,
    FULLTEXT_INDEX,
    REQUIRED_CONSTRAINTS,
    VECTOR_INDEX,
    AssociationKind,
    Label,
    Rel,
)

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "FULLTEXT_INDEX",
    "REQUIRED_CONSTRAINTS",
    "VECTOR_INDEX",
    "AssociationKind",
    "Label",
    "Migration",
    "MigrationError",
    "Rel",
    "applied",
    "discover",
    "migrate",
    "pending",
]
