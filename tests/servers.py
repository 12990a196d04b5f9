"""Helpers for tests that run the API as a real uvicorn process."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_until_healthy(process: subprocess.Popen[str], base: str, timeout_s: float = 90) -> None:
    """Poll ``base``/healthz until it answers 200; fail with the server's stderr if it exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"the API did not come up in {timeout_s:.0f} s"
        time.sleep(0.3)
