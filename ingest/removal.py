"""Taking things out of the catalogue: availability, deleting products, erasing a customer.

- An **unavailable** product stays in the graph (its orders still teach the models what goes
  together) but no list returns it (``service/filters.py``).
- **Deleting** a product removes the node with every relationship it has (order lines, observed and
  learned associations of every model version, customer recommendations) and its reviews.
- **Erasing** a customer removes the customer, their orders and order lines, their reviews,
  their stored recommendations and their shop events, then recounts the co-purchase edges
  (``BOUGHT_WITH``) those orders fed, with the observe pass, so their baskets leave no trace in
  the counts either.

Each is idempotent: a second call finds nothing left and reports so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import neo4j

import cypher

__all__ = ["Erasure", "delete_products", "erase_customer", "set_availability"]

SET_AVAILABILITY = cypher.query("products.set_availability")
DELETE_PRODUCTS = cypher.query("products.delete")
ERASE_CUSTOMER = cypher.query("customers.erase")


def set_availability(
    driver: neo4j.Driver, database: str, ids: Sequence[str], available: bool
) -> tuple[list[str], list[str]]:
    """Mark ``ids`` available or not; return (the ids updated, the ids that are not products)."""
    records, _, _ = driver.execute_query(
        SET_AVAILABILITY, ids=list(ids), available=available, database_=database
    )
    updated = list(records[0]["updated"])
    found = set(updated)
    return updated, [i for i in dict.fromkeys(ids) if i not in found]


def delete_products(driver: neo4j.Driver, database: str, ids: Sequence[str]) -> list[str]:
    """Delete ``ids`` in one transaction; return the ids that existed (a re-run returns none)."""
    records, _, _ = driver.execute_query(DELETE_PRODUCTS, ids=list(dict.fromkeys(ids)), database_=database)
    return list(records[0]["deleted"]) if records else []


@dataclass(frozen=True)
class Erasure:
    found: bool
    orders: int
    reviews: int
    events: int


def erase_customer(driver: neo4j.Driver, database: str, customer_id: str) -> Erasure:
    """Delete the customer with their orders, reviews, recommendations and events in one transaction.
    The caller then runs the observe pass (:func:`ingest.associations.observe`) to recount co-purchases."""
    records, _, _ = driver.execute_query(ERASE_CUSTOMER, id=customer_id, database_=database)
    row = records[0]
    return Erasure(bool(row["found"]), int(row["orders"]), int(row["reviews"]), int(row["events"]))
