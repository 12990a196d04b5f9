"""The Online Retail adapter and the tagging rules, on a small hand-made raw file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.online_retail import load_online_retail, write_input_files
from ingest.readers import read_file
from ingest.tagging import COLOURS, PRODUCT_TYPES, TaggingRulesError, classify, load_rules, words_of
from ingest.validation import validate
from tests.factories import online_retail_raw_file


def test_cleaning_rules(tmp_path: Path) -> None:
    data = load_online_retail(online_retail_raw_file(tmp_path))
    assert data.report.rows == 13
    assert data.report.kept_rows == 5
    assert dict(data.report.dropped) == {
        "cancellation": 1,
        "not a product code": 4,
        "quantity <= 0": 1,
        "no description": 1,
        "adjustment invoice": 1,
    }
    products = {product.id: product for product in data.products}
    assert set(products) == {"85123A", "71053"}  # the lower-case variant code is the same product
    holder = products["85123A"]
    assert holder.title == "WHITE HANGING HEART T-LIGHT HOLDER"  # most frequent description
    assert holder.description == "CREAM HANGING HEART T-LIGHT HOLDER"
    assert holder.price == 2.95  # median of 2.55, 2.95, 3.15
    assert holder.tag_source == "rules"
    assert holder.category == ("Home Decor", "Candles & Lighting")
    assert products["71053"].title == "WHITE METAL LANTERN"  # spaces collapsed, both spellings merged


def test_orders_customers_and_lines(tmp_path: Path) -> None:
    data = load_online_retail(online_retail_raw_file(tmp_path))
    lines = {(line.order_id, line.product_id): line for line in data.order_lines}
    assert set(lines) == {
        ("536365", "85123A"),
        ("536365", "71053"),
        ("536366", "85123A"),
        ("536367", "85123A"),
    }
    lantern = lines[("536365", "71053")]
    assert lantern.quantity == 8  # repeated lines merged
    assert lantern.unit_price == round((6 * 3.39 + 2 * 4.00) / 8, 4)  # quantity-weighted
    assert lantern.ts == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)  # the invoice's earliest time
    assert lines[("536366", "85123A")].customer_id is None  # guest order
    assert [(customer.id, customer.country) for customer in data.customers] == [("17850", "United Kingdom")]


def test_written_files_are_valid_input_and_stable(tmp_path: Path) -> None:
    data = load_online_retail(online_retail_raw_file(tmp_path))
    paths = write_input_files(data, tmp_path / "out")
    assert [path.name for path in paths] == ["products.jsonl", "customers.jsonl", "order_lines.csv.gz"]
    first_bytes = [path.read_bytes() for path in paths]
    dataset = validate([read_file(path) for path in paths], lambda label, ids: set())
    assert dataset.problems == []
    assert len(dataset.orders) == 3
    assert sorted(product.id for product in dataset.products) == ["71053", "85123A"]
    record = json.loads(paths[0].read_text().splitlines()[0])
    assert set(record) == {
        "id",
        "title",
        "description",
        "price",
        "tags",
        "tag_source",
        "category",
        "categories",
        "available",
    }
    write_input_files(load_online_retail(online_retail_raw_file(tmp_path)), tmp_path / "out")
    assert [path.read_bytes() for path in paths] == first_bytes  # byte-identical on a re-run


def test_tagging_rules() -> None:
    assert words_of("T-LIGHT holder, 3 pcs") == " T LIGHT HOLDER PCS "
    holder = classify("WHITE HANGING HEART T-LIGHT HOLDER")
    assert holder.category == ("Home Decor", "Candles & Lighting")
    assert set(holder.tags) >= {"colour:white", "theme:love", "type:candle-holder", "type:decoration"}
    assert classify("PACK OF 72 RETROSPOT CAKE CASES").category == ("Kitchen & Dining", "Baking")
    assert "theme:polka-dot" in classify("PACK OF 72 RETROSPOT CAKE CASES").tags
    assert classify("IVORY KNITTED MUG COSY").tags == (
        "colour:cream",
        "material:textile",
        "type:mug",
    )
    assert classify("KEY RING BAUBLE").category == ("Fashion & Accessories", "Small Accessories")
    # Whole words only: RED does not match REDUCED, TIN does not match TINY.
    assert classify("REDUCED TINY THING") == classify("THING")
    assert classify("THING").category == ("Other", "Other")


def test_the_shipped_rules_file_loads_and_malformed_rules_name_their_entry() -> None:
    facets, types = load_rules(
        '[colour]\nred = ["RED"]\n[material]\nglass = ["GLASS"]\n[theme]\nlove = ["HEART"]\n'
        '[[type]]\nvalue = "mug"\ncategory = ["Kitchen & Dining", "Mugs"]\nphrases = ["MUG", "BEAKER"]\n'
    )
    assert facets["colour"] == {"red": ("RED",)} and types[0].phrases == ("MUG", "BEAKER")
    assert len(PRODUCT_TYPES) == 30 and "cream" in COLOURS  # the shipped file, read at import
    valid = '[colour]\nred = ["RED"]\n[material]\nglass = ["GLASS"]\n[theme]\nlove = ["HEART"]\n'
    cases = {
        valid.replace('"RED"', '"red"') + '[[type]]\nvalue = "a"\ncategory = ["A", "B"]\nphrases = ["A"]\n': (
            "[colour] red: phrase 'red' is not upper-case words"
        ),
        valid + '[[type]]\nvalue = "mug"\ncategory = ["Mugs"]\nphrases = ["MUG"]\n': (
            "[[type]] #1 ('mug'): category must be two names"
        ),
        valid + '[[type]]\nvalue = "mug"\ncategory = ["A", "B"]\nphrases = []\n': (
            "[[type]] #1 ('mug'): phrases must be a non-empty list"
        ),
        valid: "[[type]]: missing or empty",
        valid.replace("[theme]\nlove", "[themes]\nlove"): "[theme]: missing or empty",
        "[colour\n": "not valid TOML",
    }
    for text, message in cases.items():
        with pytest.raises(TaggingRulesError, match=re.escape(message)):
            load_rules(text)
