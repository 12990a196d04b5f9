"""``affinity ingest`` as a function: read every file, validate everything, then write.

Nothing is written unless the whole input is valid, or the caller asked to skip invalid records
(``skip_invalid``), in which case every skipped record is returned with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import neo4j

import cypher
from affinity.errors import AffinityError, ValidationFailedError
from ingest.readers import Problem, UnknownFileKindError, discover, read_file
from ingest.records import RecordKind
from ingest.validation import Dataset, GraphLookup, validate
from ingest.writer import Outcome, Progress, write_to_graph

__all__ = ["IngestResult", "graph_lookup", "ingest_paths", "invalid_input", "load_dataset", "no_graph"]

EXISTING_IDS = cypher.query("ingest.existing_ids")

# Rejected records are counted per input kind; the summary names them by the graph's node kind.
_SUMMARY_KIND = {
    RecordKind.products: "products",
    RecordKind.customers: "customers",
    RecordKind.order_lines: "orders",
    RecordKind.reviews: "reviews",
}


@dataclass
class IngestResult:
    outcomes: dict[str, Outcome]
    # Skipped with --skip-invalid: each invalid record, then the valid lines of rejected orders.
    skipped: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    order_lines: int = 0


def graph_lookup(driver: neo4j.Driver, database: str) -> GraphLookup:
    """Which ids of a label already exist in the graph (for references to records not in the input)."""

    def lookup(label: str, ids: set[str]) -> set[str]:
        records, _, _ = driver.execute_query(
            EXISTING_IDS, label=label, ids=sorted(ids), database_=database, routing_=neo4j.RoutingControl.READ
        )
        return set(records[0]["ids"]) if records else set()

    return lookup


def no_graph(label: str, ids: set[str]) -> set[str]:
    """The lookup for input that stands alone (``affinity eval --data``): nothing is in a graph."""
    return set()


def invalid_input(dataset: Dataset, files: Sequence[Path], consequence: str) -> ValidationFailedError:
    """The error for input with problems: a count, what did not happen, then every problem located."""
    count = sum(dataset.rejected.values())
    return ValidationFailedError(
        f"{count} invalid record(s) in {len(files)} file(s); {consequence}",
        [str(problem) for problem in dataset.problems],
    )


def load_dataset(paths: Sequence[Path], lookup: GraphLookup) -> tuple[Dataset, list[Path]]:
    """Read and validate every file under ``paths``."""
    files = discover(list(paths))
    if not files:
        raise AffinityError(f"no input files in {', '.join(str(path) for path in paths)}")
    missing = [path for path in files if not path.exists()]
    if missing:
        raise AffinityError(f"no such file: {', '.join(str(path) for path in missing)}")
    try:
        reads = [read_file(path) for path in files]
    except UnknownFileKindError as error:
        raise AffinityError(str(error)) from None
    return validate(reads, lookup), files


def ingest_paths(
    driver: neo4j.Driver,
    database: str,
    paths: Sequence[Path],
    *,
    batch_size: int,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Validate all of ``paths``; raise :class:`ValidationFailedError` or write them and summarise."""
    dataset, files = load_dataset(paths, graph_lookup(driver, database))
    if dataset.problems and not skip_invalid:
        raise invalid_input(
            dataset, files, "nothing was written (fix them, or pass --skip-invalid to ingest the valid ones)"
        )
    outcomes = write_to_graph(driver, database, dataset, batch_size, progress)
    for kind, rejected in dataset.rejected.items():
        outcomes[_SUMMARY_KIND[kind]].rejected += rejected
    return IngestResult(
        outcomes=outcomes,
        skipped=[*dataset.problems, *dataset.skipped_with_order],
        files=files,
        order_lines=dataset.line_count,
    )
