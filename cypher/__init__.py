"""The single home of Cypher: every statement the system runs is a named ``.cypher`` file here.

A statement's name is its path below this folder without the extension, with ``/`` read as ``.``:
``cypher/ingest/upsert_products.cypher`` is ``ingest.upsert_products``.

Modules bind the statements they use at import time with :func:`query`, so an unknown name fails
when the module is imported (at start-up), never in the middle of serving a request::

    UPSERT_PRODUCTS = cypher.query("ingest.upsert_products")
    session.run(UPSERT_PRODUCTS, rows=rows)

Values always travel as ``$parameters``; nothing is formatted into the text.

Statements that only the tests or the benchmarks run live beside them, in a folder of their own
laid out the same way, and load through a :class:`Catalogue` of that folder::

    FIXTURES = cypher.Catalogue(Path(__file__).parent / "cypher")
    CLEAR_DATA = FIXTURES.query("clear_data")
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import LiteralString

__all__ = ["CATALOGUE", "CYPHER_DIR", "Catalogue", "UnknownQueryError", "all_names", "query"]

CYPHER_DIR = Path(__file__).resolve().parent


class UnknownQueryError(LookupError):
    """A statement was asked for by a name that has no ``.cypher`` file."""


def _strip_comments(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    return "\n".join(lines).strip().rstrip(";").strip()


class Catalogue:
    """The named statements of one folder: every ``.cypher`` file below ``root``, read once."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._statements: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._statements is None:
            statements: dict[str, str] = {}
            for path in sorted(self.root.rglob("*.cypher")):
                name = ".".join(path.relative_to(self.root).with_suffix("").parts)
                statements[name] = _strip_comments(path.read_text(encoding="utf-8"))
            self._statements = statements
        return self._statements

    def names(self) -> list[str]:
        return sorted(self._load())

    def query(self, name: str) -> LiteralString:
        """Return the statement called ``name``; raise :class:`UnknownQueryError` naming near misses."""
        statements = self._load()
        try:
            text = statements[name]
        except KeyError:
            near = difflib.get_close_matches(name, statements, n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise UnknownQueryError(f"no Cypher statement named {name!r} in {self.root}{hint}") from None
        if not text:
            raise UnknownQueryError(f"Cypher statement {name!r} is empty")
        # The text comes from files in the repository, never from input: that is what LiteralString
        # means here.
        return text


#: The production statements: this package.
CATALOGUE = Catalogue(CYPHER_DIR)


def all_names() -> list[str]:
    """The names of the production statements (this package)."""
    return CATALOGUE.names()


def query(name: str) -> LiteralString:
    """The production statement called ``name`` (see :meth:`Catalogue.query`)."""
    return CATALOGUE.query(name)
