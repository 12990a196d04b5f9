"""Searching products: free text as a safe full-text (Lucene) query within the word limit, and the
vector index's nearest products under a list's business rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from affinity.settings import Settings
from graph_schema import VECTOR_INDEX
from service.errors import LimitExceededError
from service.filters import ProductRules
from service.query_runner import Graph, Statement

__all__ = ["MAX_NEIGHBOURS", "check_search_words", "lucene_terms", "nearest", "search_too_long"]


_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')


def lucene_terms(search: str) -> str:
    """Free text as a Lucene query of its words (any may match), every special character escaped:
    the user's text is data, never query syntax."""
    words = [_LUCENE_SPECIAL.sub(r"\\\1", word) for word in search.split()]
    words = [w for w in words if w.upper() not in ("AND", "OR", "NOT")] or [f'"{w}"' for w in words]
    return " ".join(words)


def search_too_long(what: str, settings: Settings) -> LimitExceededError:
    """The error for a search over ``max_search_words`` (``what``: how it is too long)."""
    return LimitExceededError(
        f"search has {what}; the maximum is {settings.max_search_words} words (max_search_words)",
        limit="max_search_words",
        maximum=settings.max_search_words,
    )


def check_search_words(search: str, settings: Settings) -> None:
    """Each word is a Lucene clause, and Lucene fails a query of more than 1024 clauses (which was an
    INTERNAL error, found by the abuse tests): a text of too many words is refused by name first."""
    words = len(search.split())
    if words > settings.max_search_words:
        raise search_too_long(f"{words} words", settings)


#: The most neighbours asked of the vector index while a filter leaves too few (then fewer than
#: `first` come back).
MAX_NEIGHBOURS = 4096


async def nearest(
    graph: Graph, stmt: Statement, first: int, rules: ProductRules, **arguments: Any
) -> Mapping[str, Any] | None:
    """The vector index answers the k nearest and the filter applies after it (Neo4j's vector search
    takes no predicate), so k starts at `first` plus the excluded ids and grows fourfold while the
    filter leaves fewer than `first` of a full k: `first` is honoured whenever enough products pass."""
    k = first + len(rules.exclude_ids)
    while True:
        records = await graph.read(
            stmt, index=VECTOR_INDEX, first=first, k=k, filter=rules.parameter(), **arguments
        )
        if not records:
            return None
        row = records[0]
        scanned = row["scanned"]
        if len(row["hits"] or []) >= first or scanned is None or scanned < k or k >= MAX_NEIGHBOURS:
            return row
        k = min(k * 4, MAX_NEIGHBOURS)
