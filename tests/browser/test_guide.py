"""The Neo4j Browser guide (service/guide.py) played in the real Neo4j Browser that the project's
Neo4j serves, in headless Chromium: connect, the guide's first slide, a query from it put in the
editor with one click, run, and its result frame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import cypher
from affinity.settings import Settings

pytestmark = pytest.mark.integration


def test_the_guide_plays_in_neo4j_browser(
    api_base: str, run_script: Callable[..., dict[str, Any]], settings: Settings, tmp_path: Path
) -> None:
    page = httpx.get(f"{api_base}/guide")
    assert page.status_code == 200 and page.headers["access-control-allow-origin"] == "*"
    assert page.text.count("<slide") == 7
    assert "CALL db.labels() YIELD label" in cypher.query("explore.graph_overview")  # what is clicked
    screenshot = tmp_path / "guide.png"
    seen = run_script(
        "guide.mjs",
        f"http://127.0.0.1:{settings.neo4j_http_port}",
        settings.neo4j_uri,
        settings.neo4j_user,
        settings.neo4j_password.get_secret_value(),
        f"{api_base}/guide",
        str(screenshot),
        screenshot=screenshot,
    )
    assert "error" not in seen, seen
    steps = ["connect form", "connected", "post-connect play", "guide shown", "query in editor", "query ran"]
    assert seen["steps"] == steps
    assert "runnable" in seen["firstSlide"]["classes"]
    # the query ran from the slide counts the API tests' graph: 37 products
    assert '"node"\t"Product"\t37' in seen["result"], seen["result"]
