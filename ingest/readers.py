"""Read one input file (CSV or JSON Lines, optionally gzipped) into located records and problems.

Every problem names the file, the line (the first line of a CSV record) and the field, and a file's
problems are all collected before anything is decided: a user fixes a file once, not once per error.
Cross-record checks (duplicates, unknown references) live in :mod:`ingest.validation`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from ingest.records import MODELS, Record, RecordKind

__all__ = [
    "FileRead",
    "Located",
    "Problem",
    "UnknownFileKindError",
    "discover",
    "kind_of",
    "read_file",
]

R = TypeVar("R", bound=Record)

_TABULAR = (".csv",)
_LINES = (".jsonl", ".ndjson")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as the format allows."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class Located(Generic[R]):
    """A valid record and where it came from (for messages about it later)."""

    record: R
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class FileRead:
    path: Path
    kind: RecordKind
    records: list[Located[Record]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Records (lines) that could not become a valid record.
    rejected: int = 0


class UnknownFileKindError(ValueError):
    """The file's name says neither what it holds nor its format."""


def _suffixes(path: Path) -> tuple[str, str]:
    """(stem, format suffix) with a trailing ``.gz`` looked through."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    stem, dot, suffix = name.rpartition(".")
    return (stem, f"{dot}{suffix}".lower()) if dot else (name, "")


def kind_of(path: Path) -> RecordKind:
    """The record kind a file holds, from its name: ``products.jsonl``, ``order_lines-2011.csv.gz``..."""
    stem, suffix = _suffixes(path)
    if suffix not in _TABULAR + _LINES:
        raise UnknownFileKindError(
            f"{path}: unsupported format {suffix or '(none)'}; use .csv or .jsonl (.gz)"
        )
    base = stem.lower()
    for kind in RecordKind:
        if base == kind.value or (base.startswith(kind.value) and base[len(kind.value)] in "-_."):
            return kind
    names = ", ".join(kind.value for kind in RecordKind)
    raise UnknownFileKindError(
        f"{path}: cannot tell what the file holds; its name must start with one of {names}"
    )


def discover(paths: list[Path]) -> list[Path]:
    """Files named on the command line, directories expanded to the input files directly inside them."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and _suffixes(child)[1] in _TABULAR + _LINES:
                    found.append(child)
        else:
            found.append(path)
    return found


def _decode(raw: bytes, name: str, problems: list[Problem]) -> tuple[str, set[int]]:
    """Text of the file and the numbers of lines that held bytes which are not UTF-8."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), set()
    except UnicodeDecodeError:
        pass
    bad: set[int] = set()
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad.add(number)
            byte = line[error.start : error.start + 1].hex()
            problems.append(
                Problem(name, number, None, f"not UTF-8: byte 0x{byte} at column {error.start + 1}")
            )
    # Decode the rest anyway, so that the other problems of the file are reported in the same run.
    return raw.decode("utf-8", errors="replace"), bad


def _validation_problems(error: ValidationError, name: str, line: int) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        field_name = ".".join(str(part) for part in item["loc"]) or None
        value = item.get("input")
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        problems.append(Problem(name, line, field_name, f"{item['msg']}{shown}"))
    return problems


def _csv_rows(text: str, name: str, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) per CSV record; quoting errors become problems and reading goes on."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            start = previous_end + 1
            problems.append(Problem(name, start, None, f"bad CSV quoting: {error}"))
            previous_end = reader.line_num
            continue
        start, previous_end = previous_end + 1, reader.line_num
        if cells:
            yield start, cells


def _csv_cell(value: str, column: str, list_columns: dict[str, str]) -> Any:
    if column in list_columns:
        return [part.strip() for part in value.split(list_columns[column]) if part.strip()]
    return value


def _read_csv(read: FileRead, text: str, bad_lines: set[int]) -> None:
    name = str(read.path)
    model = MODELS[read.kind]
    rows = _csv_rows(text, name, read.problems)
    header_row = next(rows, None)
    if header_row is None:
        read.problems.append(Problem(name, None, None, "empty file: no header and no records"))
        return
    header_line, raw_header = header_row
    header = [column.strip().lower() for column in raw_header]
    duplicated = sorted({column for column in header if header.count(column) > 1})
    missing = [column for column in model.required_columns if column not in header]
    for column in duplicated:
        read.problems.append(Problem(name, header_line, column, "column appears more than once"))
    for column in missing:
        read.problems.append(Problem(name, header_line, column, "missing column"))
    if missing or duplicated:
        return  # Without a usable header no record can be read.
    known = set(model.model_fields)
    columns = [(index, column) for index, column in enumerate(header) if column in known]
    required = set(model.required_columns)
    count = 0
    for line, cells in rows:
        count += 1
        if len(cells) != len(header):
            read.problems.append(
                Problem(name, line, None, f"expected {len(header)} fields, got {len(cells)} (check quoting)")
            )
            read.rejected += 1
            continue
        data = {
            column: _csv_cell(cells[index], column, model.list_columns)
            for index, column in columns
            # An empty optional cell means "not given": the field's default applies.
            if cells[index] != "" or column in required
        }
        _validate(read, data, line, bad_lines)
    if count == 0 and not read.problems:
        read.problems.append(Problem(name, None, None, "empty file: a header but no records"))


def _read_lines(read: FileRead, text: str, bad_lines: set[int]) -> None:
    name = str(read.path)
    count = 0
    for line, content in enumerate(text.split("\n"), start=1):
        if not content.strip():
            continue
        count += 1
        try:
            data = json.loads(content)
        except json.JSONDecodeError as error:
            read.problems.append(
                Problem(name, line, None, f"not valid JSON: {error.msg} at column {error.colno}")
            )
            read.rejected += 1
            continue
        if not isinstance(data, dict):
            read.problems.append(
                Problem(name, line, None, f"expected a JSON object, got {type(data).__name__}")
            )
            read.rejected += 1
            continue
        _validate(read, data, line, bad_lines)
    if count == 0:
        read.problems.append(Problem(name, None, None, "empty file: no records"))


def _validate(read: FileRead, data: dict[str, Any], line: int, bad_lines: set[int]) -> None:
    try:
        record = MODELS[read.kind].model_validate(data)
    except ValidationError as error:
        read.problems.extend(_validation_problems(error, str(read.path), line))
        read.rejected += 1
        return
    if line in bad_lines:
        read.rejected += 1  # Already reported by the decoder; its text cannot be trusted.
        return
    read.records.append(Located(record, str(read.path), line))


def read_file(path: Path) -> FileRead:
    """Every valid record of ``path`` and every problem found in it."""
    kind = kind_of(path)
    read = FileRead(path=path, kind=kind)
    name = str(path)
    try:
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
    except OSError as error:  # Also gzip.BadGzipFile.
        read.problems.append(Problem(name, None, None, f"cannot read: {error}"))
        return read
    except EOFError:
        read.problems.append(Problem(name, None, None, "cannot read: truncated gzip file"))
        return read
    text, bad_lines = _decode(raw, name, read.problems)
    if _suffixes(path)[1] in _TABULAR:
        _read_csv(read, text, bad_lines)
    else:
        _read_lines(read, text, bad_lines)
    return read
