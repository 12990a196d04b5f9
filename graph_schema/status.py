"""What a database has of the schema: server version, migrations, constraints, indexes."""

from __future__ import annotations

from dataclasses import dataclass, field

import neo4j

import cypher
from graph_schema.migrations import AppliedMigration, applied, discover
from graph_schema.model import FULLTEXT_INDEX, REQUIRED_CONSTRAINTS, VECTOR_INDEX

SERVER_VERSION = cypher.query("schema.server_version")
LIST_CONSTRAINTS = cypher.query("schema.list_constraints")
LIST_INDEXES = cypher.query("schema.list_indexes")


@dataclass
class SchemaStatus:
    server: str
    version: str
    edition: str
    applied: list[AppliedMigration]
    pending_versions: list[int]
    constraints: set[str] = field(default_factory=set)
    indexes: dict[str, str] = field(default_factory=dict)  # name -> state

    @property
    def missing(self) -> list[str]:
        wanted = [*REQUIRED_CONSTRAINTS, VECTOR_INDEX, FULLTEXT_INDEX]
        present = self.constraints | {name for name, state in self.indexes.items() if state == "ONLINE"}
        return [name for name in wanted if name not in present]

    @property
    def ready(self) -> bool:
        return not self.pending_versions and not self.missing


def read_status(driver: neo4j.Driver, database: str) -> SchemaStatus:
    read = neo4j.RoutingControl.READ
    component = driver.execute_query(SERVER_VERSION, database_=database, routing_=read).records[0]
    done = applied(driver, database)
    done_versions = {m.version for m in done}
    constraints = driver.execute_query(LIST_CONSTRAINTS, database_=database, routing_=read).records
    indexes = driver.execute_query(LIST_INDEXES, database_=database, routing_=read).records
    return SchemaStatus(
        server=component["name"],
        version=component["version"],
        edition=component["edition"],
        applied=done,
        pending_versions=[m.version for m in discover() if m.version not in done_versions],
        constraints={record["name"] for record in constraints},
        indexes={record["name"]: record["state"] for record in indexes},
    )
