"""Reading the lock files of requirements/ (written by scripts/lock.sh)."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def locked(path: Path, this_python: bool = False) -> dict[str, str]:
    """Package name (canonical) -> pinned version; fails on a pin without a sha256 hash.
    ``this_python``: only the pins whose environment marker holds for this interpreter."""
    pins: dict[str, str] = {}
    name: str | None = None
    hashed: set[str] = set()
    for line in path.read_text().splitlines():
        if match := _PIN.match(line):
            name = canonicalize_name(match.group(1))
            marker = match.group(3)
            if not this_python or marker is None or Marker(marker).evaluate():
                pins[name] = match.group(2)
        elif "--hash=sha256:" in line and name is not None:
            hashed.add(name)
    unhashed = set(pins) - hashed  # a pin skipped for its marker was never in pins
    assert not unhashed, f"{path.name}: pinned without a hash: {sorted(unhashed)}"
    return pins
