"""The graph model as code: labels, relationship types and the schema objects the migrations create.

Labels and types that vary at run time are picked from these enums, never taken from input.
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    PRODUCT = "Product"
    TAG = "Tag"
    CATEGORY = "Category"
    CUSTOMER = "Customer"
    ORDER = "Order"
    REVIEW = "Review"
    MODEL_VERSION = "ModelVersion"
    SCHEMA_MIGRATION = "SchemaMigration"
    JOB = "Job"
    JOB_LOCK = "JobLock"
    EVENT = "Event"


class Rel(StrEnum):
    TAGGED = "TAGGED"
    IN_CATEGORY = "IN_CATEGORY"
    SUBCATEGORY_OF = "SUBCATEGORY_OF"
    PLACED = "PLACED"
    CONTAINS = "CONTAINS"
    WROTE = "WROTE"
    REVIEWS = "REVIEWS"
    BOUGHT_WITH = "BOUGHT_WITH"
    ASSOCIATED = "ASSOCIATED"
    RECOMMENDED = "RECOMMENDED"
    ON = "ON"


class AssociationKind(StrEnum):
    """Learned edges come in two kinds, kept apart so a client can ask for either."""

    COMPLEMENT = "complement"
    SUBSTITUTE = "substitute"


#: Constraints every migrated database has (name -> label), checked by `db status` and `/readyz`.
REQUIRED_CONSTRAINTS: dict[str, Label] = {
    "product_id": Label.PRODUCT,
    "tag_name": Label.TAG,
    "category_id": Label.CATEGORY,
    "customer_id": Label.CUSTOMER,
    "order_id": Label.ORDER,
    "review_id": Label.REVIEW,
    "model_version_id": Label.MODEL_VERSION,
    "schema_migration_version": Label.SCHEMA_MIGRATION,
    "job_id": Label.JOB,
    "job_lock_kind": Label.JOB_LOCK,
    "event_id": Label.EVENT,
}
VECTOR_INDEX = "product_embedding"
FULLTEXT_INDEX = "product_text"
EMBEDDING_DIMENSIONS = 384
