"""Deterministic tags and a coarse category from a product's name (used for the Online Retail data).

The retailer's descriptions are short upper-case noun phrases ("WHITE HANGING HEART T-LIGHT HOLDER").
Rules are keyword lists matched on whole words, so the outcome is predictable, explainable and
stable across runs, and a catalogue manager can read and correct them in ``tagging_rules.toml``
beside this module:

- the text is upper-cased and reduced to its words (letters only: ``T-LIGHT`` reads ``T LIGHT``);
- a phrase matches when its words appear consecutively (``KEY RING`` does not match ``KEYRING``);
- tags are ``facet:value``: ``colour:*``, ``material:*``, ``type:*``, ``theme:*``; a product gets
  every tag whose phrases match (synonyms map to one value: ``IVORY`` gives ``colour:cream``);
- the category is the 2-level path of the *first* product-type rule (in the order below) that
  matches, so specific phrases (``CAKE CASES``) come before general ones (``CAKE``...); products
  that no type rule matches land in ``Other > Other``.

The lists were drawn from the most frequent words of the 3.6k product names; they cover about
nine products in ten (see ``docs/ingest.md`` for the measured coverage).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "COLOURS",
    "MATERIALS",
    "PRODUCT_TYPES",
    "THEMES",
    "Classification",
    "TaggingRulesError",
    "TypeRule",
    "classify",
    "load_rules",
    "words_of",
]

OTHER_CATEGORY = ("Other", "Other")


@dataclass(frozen=True)
class TypeRule:
    """A product type, the phrases that name it, and the category it puts a product in."""

    value: str
    phrases: tuple[str, ...]
    category: tuple[str, str]


@dataclass(frozen=True)
class Classification:
    tags: tuple[str, ...]
    category: tuple[str, ...]


_WORD = re.compile(r"[A-Z]+")


def words_of(text: str) -> str:
    """``" WHITE HANGING HEART T LIGHT HOLDER "``: the words of ``text``, padded for phrase matching."""
    return " " + " ".join(_WORD.findall(text.upper())) + " "


def _matches(words: str, phrases: tuple[str, ...]) -> bool:
    return any(f" {phrase} " in words for phrase in phrases)


class TaggingRulesError(ValueError):
    """``tagging_rules.toml`` is malformed: the message names the table and the entry."""


def _phrases(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
        raise TaggingRulesError(f"{where}: phrases must be a non-empty list of strings")
    for phrase in value:
        # a phrase is matched against a name's words (words_of), so anything else never matches
        if words_of(phrase).strip() != phrase:
            raise TaggingRulesError(f"{where}: phrase {phrase!r} is not upper-case words separated by spaces")
    return tuple(value)


def _facet(rules: dict[str, Any], facet: str) -> dict[str, tuple[str, ...]]:
    table = rules.get(facet)
    if not isinstance(table, dict) or not table:
        raise TaggingRulesError(f"[{facet}]: missing or empty")
    return {value: _phrases(f"[{facet}] {value}", phrases) for value, phrases in table.items()}


def _type_rules(rules: dict[str, Any]) -> tuple[TypeRule, ...]:
    entries = rules.get("type")
    if not isinstance(entries, list) or not entries:
        raise TaggingRulesError("[[type]]: missing or empty")
    out = []
    for i, entry in enumerate(entries, start=1):
        value, category = entry.get("value"), entry.get("category")
        where = f"[[type]] #{i} ({value!r})"
        if not isinstance(value, str) or not value:
            raise TaggingRulesError(f"{where}: value must be a non-empty string")
        if (
            not isinstance(category, list)
            or len(category) != 2
            or not all(isinstance(c, str) and c for c in category)
        ):
            raise TaggingRulesError(f"{where}: category must be two names, department and category")
        out.append(TypeRule(value, _phrases(where, entry.get("phrases")), (category[0], category[1])))
    return tuple(out)


def load_rules(text: str) -> tuple[dict[str, dict[str, tuple[str, ...]]], tuple[TypeRule, ...]]:
    """The facet tables (``colour``, ``material``, ``theme``) and the ordered product types of a
    rules file's ``text``; :class:`TaggingRulesError` names the first malformed entry."""
    try:
        rules = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TaggingRulesError(f"not valid TOML: {error}") from None
    facets = {facet: _facet(rules, facet) for facet in ("colour", "material", "theme")}
    return facets, _type_rules(rules)


_FACETS, PRODUCT_TYPES = load_rules(
    resources.files(__package__).joinpath("tagging_rules.toml").read_text("utf-8")
)
COLOURS, MATERIALS, THEMES = _FACETS["colour"], _FACETS["material"], _FACETS["theme"]


def classify(title: str) -> Classification:
    """Tags (sorted) and category path for a product named ``title``."""
    words = words_of(title)
    tags: set[str] = set()
    for facet, table in _FACETS.items():
        tags.update(f"{facet}:{value}" for value, phrases in table.items() if _matches(words, phrases))
    category: tuple[str, ...] = OTHER_CATEGORY
    for rule in PRODUCT_TYPES:
        if _matches(words, rule.phrases):
            if category == OTHER_CATEGORY:
                category = rule.category
            tags.add(f"type:{rule.value}")
    return Classification(tags=tuple(sorted(tags)), category=category)
