"""The browser checks' fixtures: Debian's Chromium driven by playwright-core from Node, against a real
``affinity serve`` on the API tests' known graph.

``tests/browser/setup.sh`` installs Chromium (apt) and the npm packages. Where they are missing a
test fails under the README's test command (``scripts/test.sh`` sets ``AFFINITY_REQUIRE_BROWSER=1``)
and is skipped, saying so, elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from affinity.settings import PROJECT_ROOT, Settings
from tests.servers import free_port, wait_until_healthy

HERE = Path(__file__).resolve().parent
MODULES = PROJECT_ROOT / "var" / "browser-check" / "node_modules"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MISSING = "Chromium or the browser check's npm packages are missing: run tests/browser/setup.sh"
#: Set by the README's test command (scripts/test.sh), where a missing browser is a failure, not a skip.
REQUIRED = os.environ.get("AFFINITY_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def run_script() -> Callable[..., dict[str, Any]]:
    """Runs a script of this folder in Node with playwright-core and returns its last stdout line as
    JSON; ``screenshot=`` (a path the script wrote) is kept under var/browser-check for a person."""
    ready = CHROMIUM is not None and (MODULES / "playwright-core").exists() and shutil.which("node")
    if not ready:
        if REQUIRED:
            pytest.fail(
                MISSING + " (AFFINITY_REQUIRE_BROWSER=1: the test command requires the browser check)"
            )
        pytest.skip(MISSING)

    def run(script: str, *args: str, screenshot: Path | None = None) -> dict[str, Any]:
        result = subprocess.run(
            ["node", str(HERE / script), *args],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "NODE_MODULES_DIR": str(MODULES), "CHROMIUM": str(CHROMIUM)},
            cwd=HERE,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        shown: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        if screenshot is not None:
            assert screenshot.stat().st_size > 10_000, "the screenshot is (nearly) empty"
            shutil.copy(screenshot, PROJECT_ROOT / "var" / "browser-check" / screenshot.name)
        return shown

    return run


@pytest.fixture(scope="module")
def api_base(seeded: object, settings: Settings) -> Iterator[str]:
    """``affinity serve`` (development: GraphiQL on) on a free port over the seeded graph."""
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
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
