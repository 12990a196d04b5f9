"""The reference shop page (/shop/) end to end in headless Chromium, against a real API and Neo4j:
a shopper searches, opens a product, sees its complements with their why, picks a customer, adds the
product to the basket and sees the suggestions change, clicks a complement, and the click lands in
Neo4j attributed to the model version and strategy of the list it was clicked in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest

from affinity.settings import Settings
from tests.statements import TEST_CYPHER

pytestmark = pytest.mark.integration

EVENTS = TEST_CYPHER.query("events_of_product")


def test_a_shopper_walks_the_shop_page(
    api_base: str,
    run_script: Callable[..., dict[str, Any]],
    seeded: neo4j.Driver,
    settings: Settings,
    tmp_path: Path,
) -> None:
    root = httpx.get(api_base, follow_redirects=False)
    assert root.status_code in (302, 307) and root.headers["location"] == "/shop/"
    screenshot = tmp_path / "shop.png"
    seen = run_script("shop.mjs", api_base, "dev-read-key", "lamp", "P1", "C2", str(screenshot),
                      screenshot=screenshot)  # fmt: skip
    assert not seen["problems"], seen["problems"]
    # P1's complements in the active version v2, best first, each with the evidence in one sentence.
    assert seen["complements"] == ["P2", "P3", "P6"] and seen["why"].startswith("Learned by model v2")
    # C2 bought tea things; with the lamp in the basket the suggestions follow the basket.
    assert seen["before"] and seen["after"] != seen["before"]
    assert seen["basket"] and seen["basket"][0].startswith("Desk lamp")
    records = seeded.execute_query(
        EVENTS, product_id=seen["clicked"], database_=settings.neo4j_database
    ).records
    clicks = [r for r in records if r["type"] == "click"]
    assert (
        clicks and clicks[0]["model_version"] == "v2" and clicks[0]["strategy"] == "associations:complement"
    )
    assert clicks[0]["customer_id"] == "C2"
    views = {r["type"] for r in records}
    assert "view" in views  # the complements were shown: each shown item is a VIEW of its list
