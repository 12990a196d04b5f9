"""GraphiQL at /graphql in development, checked in a real headless Chromium that runs one query.

Needs Chromium and the npm packages of ``tests/browser/package.json``: ``tests/browser/setup.sh``
installs both (apt and npm). Where they are missing the test fails under the README's test command
(``scripts/test.sh`` sets ``AFFINITY_REQUIRE_BROWSER=1``) and is skipped, saying so, elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from affinity.settings import PROJECT_ROOT, Settings
from tests.servers import free_port, wait_until_healthy

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
MODULES = PROJECT_ROOT / "var" / "browser-check" / "node_modules"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


MISSING = "Chromium or the GraphiQL npm packages are missing: run tests/browser/setup.sh"
#: Set by the README's test command (scripts/test.sh), where a missing browser is a failure, not a skip.
REQUIRED = os.environ.get("AFFINITY_REQUIRE_BROWSER") == "1"


def browser_ready() -> bool:
    return (
        CHROMIUM is not None and (MODULES / "playwright-core").exists() and shutil.which("node") is not None
    )


def test_graphiql_runs_a_query_in_chromium(seeded: object, settings: Settings, tmp_path: Path) -> None:
    if not browser_ready():
        if REQUIRED:
            pytest.fail(
                MISSING + " (AFFINITY_REQUIRE_BROWSER=1: the test command requires the browser check)"
            )
        pytest.skip(MISSING)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AFFINITY_ENVIRONMENT": "development"}
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_until_healthy(server, base)
        page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        screenshot = tmp_path / "graphiql.png"
        query = '{ product(id: "P1") { title associations(first: 2) { product { id } score } } }'
        result = subprocess.run(
            ["node", str(HERE / "graphiql.mjs"), base, "dev-read-key", query, "Desk lamp", str(screenshot)],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "NODE_MODULES_DIR": str(MODULES), "CHROMIUM": str(CHROMIUM)},
            cwd=HERE,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        shown = json.loads(result.stdout.strip().splitlines()[-1])
        assert '"title": "Desk lamp"' in shown["response"] and '"id": "P2"' in shown["response"]
        assert not shown["problems"], shown["problems"]
        assert screenshot.stat().st_size > 10_000
        keep = PROJECT_ROOT / "var" / "browser-check" / "graphiql.png"
        shutil.copy(screenshot, keep)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
