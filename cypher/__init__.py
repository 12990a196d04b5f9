"""The single home of Cypher: every statement the system runs is a named ``.cypher`` file here.

A statement's name is its path below this folder without the extension, with ``/`` read as ``.``:
``cypher/ingest/upsert_products.cypher`` is ``ingest.upsert_products``.

Modules bind the statements they use at import time with :func:`query`, so an unknown name fails
when the module is imported (at start-up), never in the middle of serving a request::

    UPSERT_PRODUCTS = cypher.query("ingest.upsert_products")
    session.run(UPSERT_PRODUCTS, rows=rows)

Values always travel as ``$parameters``; nothing is formatted into the text.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import LiteralString

__all__ = ["CYPHER_DIR", "UnknownQueryError", "all_names", "query"]

CYPHER_DIR = Path(__file__).resolve().parent


class UnknownQueryError(LookupError):
    """A statement was asked for by a name that has no ``.cypher`` file."""


def _strip_comments(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    return "\n".join(lines).strip().rstrip(";").strip()


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, str]:
    statements: dict[str, str] = {}
    for path in sorted(CYPHER_DIR.rglob("*.cypher")):
        name = ".".join(path.relative_to(CYPHER_DIR).with_suffix("").parts)
        statements[name] = _strip_comments(path.read_text(encoding="utf-8"))
    return statements


def all_names() -> list[str]:
    return sorted(_catalogue())


def query(name: str) -> LiteralString:
    """Return the statement called ``name``; raise :class:`UnknownQueryError` naming near misses."""
    catalogue = _catalogue()
    try:
        text = catalogue[name]
    except KeyError:
        near = difflib.get_close_matches(name, catalogue, n=3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise UnknownQueryError(f"no Cypher statement named {name!r} in {CYPHER_DIR}{hint}") from None
    if not text:
        raise UnknownQueryError(f"Cypher statement {name!r} is empty")
    # The text comes from files in this package, never from input: that is what LiteralString means here.
    return text
