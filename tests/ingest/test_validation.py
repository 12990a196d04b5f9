"""Input validation: every malformed case names its file, line and field; nothing needs a database."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.readers import UnknownFileKindError, discover, kind_of, read_file
from ingest.records import OrderLineRecord, RecordKind
from ingest.validation import validate

PRODUCTS_CSV = "id,title,description,price,tags,category\n"
LINES_CSV = "order_id,customer_id,ts,product_id,quantity,unit_price\n"


def write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def nothing_in_graph(label: str, ids: set[str]) -> set[str]:
    return set()


def problems_of(*paths: Path, lookup=nothing_in_graph) -> list[str]:
    return [str(problem) for problem in validate([read_file(path) for path in paths], lookup).problems]


def test_valid_files_in_every_format(tmp_path: Path) -> None:
    products = write(
        tmp_path,
        "products.csv",
        PRODUCTS_CSV + 'P1,Mug,"A mug, blue",2.5,colour:blue|type:mug,Kitchen > Mugs\nP2,Bowl,,,,\n',
    )
    customers = write(tmp_path, "customers.jsonl", '{"id": "C1", "country": "France"}\n\n')
    lines = write(
        tmp_path,
        "order_lines.csv.gz",
        LINES_CSV + "O1,C1,2011-01-02T10:00:00Z,P1,2,2.5\nO1,C1,2011-01-02T10:00:00Z,P2,1,1.0\n"
        "O2,,2011-01-03 09:00:00,P2,3,1.0\n",
    )
    reviews = write(
        tmp_path,
        "reviews.jsonl",
        '{"id": "R1", "product_id": "P1", "customer_id": "C1", "rating": 5, "text": "Lovely", '
        '"ts": "2011-02-01T00:00:00+01:00"}\n',
    )
    dataset = validate([read_file(path) for path in (products, customers, lines, reviews)], nothing_in_graph)
    assert dataset.problems == []
    first, second = dataset.products
    assert first.tags == ("colour:blue", "type:mug")
    assert first.category == ("Kitchen", "Mugs")
    assert first.description == "A mug, blue"
    assert second.price is None and second.tags == () and second.category == ()
    assert {order.id: order.customer_id for order in dataset.orders} == {"O1": "C1", "O2": None}
    guest = next(order for order in dataset.orders if order.id == "O2")
    assert guest.ts == datetime(2011, 1, 3, 9, tzinfo=UTC)  # no zone given: read as UTC
    assert dataset.reviews[0].ts == datetime(2011, 1, 31, 23, tzinfo=UTC)
    assert dataset.line_count == 3


def test_file_kind_comes_from_the_name(tmp_path: Path) -> None:
    assert kind_of(Path("products-2024.jsonl.gz")) is RecordKind.products
    assert kind_of(Path("order_lines.csv")) is RecordKind.order_lines
    with pytest.raises(UnknownFileKindError, match="must start with one of"):
        kind_of(Path("stuff.csv"))
    with pytest.raises(UnknownFileKindError, match=r"unsupported format \.xlsx"):
        kind_of(Path("products.xlsx"))
    write(tmp_path, "products.jsonl", "")
    write(tmp_path, "notes.txt", "")
    assert discover([tmp_path]) == [tmp_path / "products.jsonl"]


def test_bad_csv_quoting(tmp_path: Path) -> None:
    path = write(tmp_path, "products.csv", PRODUCTS_CSV + 'P1,"Mug"x,,1,,\nP2,Bowl,,1,,\n')
    assert problems_of(path) == [f"{path}:2: bad CSV quoting: ',' expected after '\"'"]


def test_unterminated_quote_is_reported_where_it_starts(tmp_path: Path) -> None:
    path = write(tmp_path, "products.csv", PRODUCTS_CSV + 'P1,Mug,,1,,\nP2,"Bowl,,1,,\nP3,Cup,,1,,\n')
    assert problems_of(path) == [f"{path}:3: bad CSV quoting: unexpected end of data"]


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "products.csv", PRODUCTS_CSV + "P1,Mug,,1,,,extra\n")
    assert problems_of(path) == [f"{path}:2: expected 6 fields, got 7 (check quoting)"]


def test_missing_columns(tmp_path: Path) -> None:
    # quantity and unit_price may be left out (unknown); the product may not
    path = write(tmp_path, "order_lines.csv", "order_id,ts,quantity\nO1,2011-01-01,1\n")
    assert problems_of(path) == [f"{path}:1: product_id: missing column"]


def test_wrong_types_name_the_field_and_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "order_lines.csv",
        LINES_CSV + "O1,,yesterday,P1,two,1.0\nO2,,2011-01-01,P1,0,-1\n",
    )
    problems = problems_of(path)
    assert problems[0].startswith(f"{path}:2: quantity: Input should be a valid integer")
    assert "(got 'two')" in problems[0]
    assert problems[1].startswith(f"{path}:2: ts: Input should be a valid datetime")
    assert problems[2].startswith(f"{path}:3: quantity: Input should be greater than 0")
    assert problems[3].startswith(f"{path}:3: unit_price: Input should be greater than or equal to 0")
    assert len(problems) == 4


def test_jsonl_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "reviews.jsonl",
        '{"id": "R1", "product_id": "P1", "rating": 9, "ts": "2011-01-01"}\n'
        "[1, 2]\n"
        '{"id": "R2", "product_id": \n',
    )
    problems = problems_of(path)
    assert problems[0].startswith(f"{path}:1: rating: Input should be less than or equal to 5")
    assert problems[1] == f"{path}:2: expected a JSON object, got list"
    assert problems[2].startswith(f"{path}:3: not valid JSON: Expecting value")


def test_empty_files(tmp_path: Path) -> None:
    zero = write(tmp_path, "products.jsonl", "")
    header_only = write(tmp_path, "customers.csv", "id,country\n")
    blank = write(tmp_path, "order_lines.csv", "")
    assert problems_of(zero, header_only, blank) == [
        f"{header_only}: empty file: a header but no records",
        f"{blank}: empty file: no header and no records",
        f"{zero}: empty file: no records",
    ]


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, "products.csv", PRODUCTS_CSV.encode() + b"P1,Caf\xe9 mug,,1,,\nP2,Bowl,,1,,\n")
    dataset = validate([read_file(path)], nothing_in_graph)
    assert [str(problem) for problem in dataset.problems] == [f"{path}:2: not UTF-8: byte 0xe9 at column 7"]
    assert [product.id for product in dataset.products] == ["P2"]  # the rest of the file is still read


def test_duplicate_ids_with_conflicting_values(tmp_path: Path) -> None:
    first = write(tmp_path, "products.csv", PRODUCTS_CSV + "P1,Mug,,1,,\nP2,Bowl,,1,,\nP2,Bowl,,1,,\n")
    second = write(tmp_path, "products-more.jsonl", '{"id": "P1", "title": "Mug", "price": 2}\n')
    dataset = validate([read_file(first), read_file(second)], nothing_in_graph)
    assert [str(problem) for problem in dataset.problems] == [
        f"{second}:1: price: duplicate product 'P1' with conflicting values (also at {first}:2)",
        f"{first}:2: price: duplicate product 'P1' with conflicting values (also at {second}:1)",
    ]
    assert [product.id for product in dataset.products] == ["P2"]  # an exact repeat is harmless
    assert dataset.rejected[RecordKind.products] == 2


def test_order_lines_must_agree_on_the_order(tmp_path: Path) -> None:
    products = write(tmp_path, "products.csv", PRODUCTS_CSV + "P1,Mug,,1,,\nP2,Bowl,,1,,\n")
    lines = write(
        tmp_path,
        "order_lines.csv",
        LINES_CSV
        + "O1,,2011-01-01,P1,1,1\nO1,,2011-01-02,P2,1,1\nO2,,2011-01-01,P1,1,1\nO2,,2011-01-01,P1,2,1\n",
    )
    dataset = validate([read_file(products), read_file(lines)], nothing_in_graph)
    assert [str(problem) for problem in dataset.problems] == [
        f"{lines}:3: ts: lines of order 'O1' disagree: 2011-01-01 00:00:00+00:00 at {lines}:2, "
        "here 2011-01-02 00:00:00+00:00",
        f"{lines}:4: quantity: duplicate order line 'O2/P1' with conflicting values (also at {lines}:5)",
        f"{lines}:5: quantity: duplicate order line 'O2/P1' with conflicting values (also at {lines}:4)",
    ]
    assert dataset.orders == []


def test_unknown_products_and_customers(tmp_path: Path) -> None:
    products = write(tmp_path, "products.csv", PRODUCTS_CSV + "P1,Mug,,1,,\n")
    lines = write(
        tmp_path,
        "order_lines.csv",
        LINES_CSV + "O1,C9,2011-01-01,P1,1,1\nO1,C9,2011-01-01,P404,1,1\nO2,C1,2011-01-01,P1,1,1\n"
        "O3,,2011-01-01,P7,1,1\n",
    )

    def in_graph(label: str, ids: set[str]) -> set[str]:
        return ids & {"Product": {"P7"}, "Customer": {"C1"}}[label]

    dataset = validate([read_file(products), read_file(lines)], in_graph)
    assert [str(problem) for problem in dataset.problems] == [
        f"{lines}:2: customer_id: unknown customer 'C9' (not in the input files, not in the graph)",
        f"{lines}:3: customer_id: unknown customer 'C9' (not in the input files, not in the graph)",
        f"{lines}:3: product_id: unknown product 'P404' (not in the input files, not in the graph)",
    ]
    assert sorted(order.id for order in dataset.orders) == ["O2", "O3"]  # P7 and C1 are in the graph
    assert dataset.rejected[RecordKind.order_lines] == 2


def test_a_rejected_order_reports_its_other_lines(tmp_path: Path) -> None:
    products = write(tmp_path, "products.csv", PRODUCTS_CSV + "P1,Mug,,1,,\nP2,Bowl,,1,,\n")
    lines = write(
        tmp_path,
        "order_lines.csv",
        LINES_CSV + "O1,,2011-01-01,P1,1,1\nO1,,2011-01-01,P2,1,1\nO1,,2011-01-01,P3,1,1\n",
    )
    dataset = validate([read_file(products), read_file(lines)], nothing_in_graph)
    assert [str(problem) for problem in dataset.skipped_with_order] == [
        f"{lines}:2: skipped with order 'O1': another line is invalid",
        f"{lines}:3: skipped with order 'O1': another line is invalid",
    ]


def test_an_invalid_product_makes_its_order_lines_unknown(tmp_path: Path) -> None:
    products = write(tmp_path, "products.jsonl", '{"id": "P1", "title": ""}\n')
    lines = write(tmp_path, "order_lines.csv", LINES_CSV + "O1,,2011-01-01,P1,1,1\n")
    problems = problems_of(products, lines)
    assert (
        problems[0]
        == f"{lines}:2: product_id: unknown product 'P1' (not in the input files, not in the graph)"
    )
    assert problems[1].startswith(f"{products}:1: title: String should have at least 1 character")


def test_order_line_key() -> None:
    line = OrderLineRecord(order_id="O1", ts=datetime(2011, 1, 1), product_id="P1", quantity=1, unit_price=0)
    assert line.key == ("O1", "P1")
    assert line.ts.tzinfo is UTC
