"""`affinity products set-availability|delete IDS...` and `affinity customers erase ID`: taking
things out of the catalogue (:mod:`ingest.removal`), the same as the admin mutations."""

from __future__ import annotations

from typing import Annotated

import typer

from affinity.db import session_driver
from cli.common import JSON_OPTION, command, console, load_settings, print_json
from ingest.associations import observe
from ingest.removal import delete_products, erase_customer, set_availability

products_app = typer.Typer(help="Mark products unavailable or delete them.", no_args_is_help=True)
customers_app = typer.Typer(help="Erase a customer and their data.", no_args_is_help=True)

IDS = typer.Argument(help="product ids")


@products_app.command("set-availability")
@command
def availability(
    ids: Annotated[list[str], IDS],
    available: Annotated[
        bool, typer.Option("--available/--unavailable", help="sellable (default) or not")
    ] = True,
    as_json: bool = JSON_OPTION,
) -> None:
    """Mark products available or not; unavailable ones stay in the graph but are never recommended."""
    settings = load_settings()
    with session_driver(settings, wait_s=settings.neo4j_startup_wait_s) as driver:
        updated, unknown = set_availability(driver, settings.neo4j_database, ids, available)
    if as_json:
        print_json({"updated": updated, "unknown_ids": unknown})
        return
    state = "available" if available else "unavailable"
    console.print(f"{len(updated)} product(s) marked {state}")
    if unknown:
        console.print(f"not products (ignored): {', '.join(unknown)}")


@products_app.command("delete")
@command
def delete(ids: Annotated[list[str], IDS], as_json: bool = JSON_OPTION) -> None:
    """Delete products with their order lines, associations (every model version), recommendations
    and reviews. Idempotent."""
    settings = load_settings()
    with session_driver(settings, wait_s=settings.neo4j_startup_wait_s) as driver:
        deleted = delete_products(driver, settings.neo4j_database, ids)
    absent = [i for i in dict.fromkeys(ids) if i not in set(deleted)]
    if as_json:
        print_json({"deleted": deleted, "absent_ids": absent})
        return
    missing = f"; not there: {', '.join(absent)}" if absent else ""
    console.print(f"{len(deleted)} product(s) deleted{missing}")


@customers_app.command("erase")
@command
def erase(
    customer_id: Annotated[str, typer.Argument(help="the customer's id")], as_json: bool = JSON_OPTION
) -> None:
    """Erase a customer: orders and their lines, reviews, stored recommendations; then recount the
    co-purchase edges without those orders. Idempotent."""
    settings = load_settings()
    with session_driver(settings, wait_s=settings.neo4j_startup_wait_s) as driver:
        erasure = erase_customer(driver, settings.neo4j_database, customer_id)
        report = (
            observe(
                driver,
                settings.neo4j_database,
                min_support=settings.min_support_baskets,
                batch_size=settings.ingest_batch_size,
            )
            if erasure.orders
            else None
        )
    if as_json:
        print_json({"erasure": erasure, "observe": report})
        return
    if not erasure.found:
        console.print(f"no customer {customer_id!r}: nothing to erase")
        return
    console.print(
        f"customer {customer_id!r} erased with {erasure.orders} order(s), {erasure.reviews} review(s) "
        f"and {erasure.events} event(s)"
        + (f"; co-purchase edges recounted ({report.edges} edges)" if report else "")
    )
