"""Versioned, idempotent schema migrations recorded in the graph.

Each ``migrations/V<NNNN>__<name>.cypher`` file holds schema statements separated by ``;``. A
migration is applied once and recorded as a ``(:SchemaMigration {version, name, checksum})`` node;
applying again is a no-op. Editing an applied file is refused (its checksum no longer matches),
because a changed migration would leave databases that ran the old text silently different.
Every statement uses ``IF NOT EXISTS``, so a crash between running a file and recording it is
repaired by simply running ``migrate`` again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import neo4j

import cypher
from affinity.errors import AffinityError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_FILE_NAME = re.compile(r"^V(?P<version>\d{4})__(?P<name>[a-z0-9_]+)\.cypher$")

APPLIED = cypher.query("schema.applied_migrations")
RECORD = cypher.query("schema.record_migration")
AWAIT_INDEXES = cypher.query("schema.await_indexes")


class MigrationError(AffinityError):
    """A migration file is malformed, or an applied one was edited."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    checksum: str


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: str


def _split_statements(text: str) -> tuple[str, ...]:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return tuple(part.strip() for part in body.split(";") if part.strip())


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.cypher")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"migration file {path.name} is not named V<NNNN>__<snake_name>.cypher")
        text = path.read_text(encoding="utf-8")
        statements = _split_statements(text)
        if not statements:
            raise MigrationError(f"migration file {path.name} has no statements")
        migrations.append(
            Migration(
                version=int(match["version"]),
                name=match["name"],
                statements=statements,
                checksum=hashlib.sha256(text.encode()).hexdigest()[:16],
            )
        )
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return migrations


def applied(driver: neo4j.Driver, database: str) -> list[AppliedMigration]:
    records, _, _ = driver.execute_query(APPLIED, database_=database, routing_=neo4j.RoutingControl.READ)
    return [
        AppliedMigration(
            version=record["version"],
            name=record["name"],
            checksum=record["checksum"],
            applied_at=str(record["applied_at"]),
        )
        for record in records
    ]


def pending(driver: neo4j.Driver, database: str) -> list[Migration]:
    done = {m.version: m for m in applied(driver, database)}
    todo = []
    for migration in discover():
        recorded = done.get(migration.version)
        if recorded is None:
            todo.append(migration)
        elif recorded.checksum != migration.checksum:
            raise MigrationError(
                f"migration V{migration.version:04d}__{migration.name} was edited after it was applied "
                f"(checksum {recorded.checksum} in the graph, {migration.checksum} on disk): "
                "add a new migration instead"
            )
    return todo


def migrate(driver: neo4j.Driver, database: str, index_timeout_s: int = 300) -> list[Migration]:
    """Apply pending migrations in order; return the ones applied now (empty on a re-run)."""
    todo = pending(driver, database)
    for migration in todo:
        # Schema statements each need their own auto-commit transaction.
        for statement in migration.statements:
            # The text comes from this package's migration files, never from input.
            driver.execute_query(statement, database_=database)
        driver.execute_query(
            RECORD,
            version=migration.version,
            name=migration.name,
            checksum=migration.checksum,
            database_=database,
        )
    if todo:
        driver.execute_query(AWAIT_INDEXES, timeout_s=index_timeout_s, database_=database)
    return todo
