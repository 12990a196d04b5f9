"""GraphiQL at /graphql in development, checked in a real headless Chromium that runs one query."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_graphiql_runs_a_query_in_chromium(
    api_base: str, run_script: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    page = httpx.get(f"{api_base}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    screenshot = tmp_path / "graphiql.png"
    query = '{ product(id: "P1") { title associations(first: 2) { product { productId } score } } }'
    shown = run_script(
        "graphiql.mjs", api_base, "dev-read-key", query, "Desk lamp", str(screenshot), screenshot=screenshot
    )
    assert '"title": "Desk lamp"' in shown["response"] and '"productId": "P2"' in shown["response"]
    assert not shown["problems"], shown["problems"]
