"""Neo4j driver construction with clear errors and start-up retries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

import cypher
from affinity.errors import AffinityError, ConfigurationError, DatabaseUnavailableError
from affinity.settings import Settings

PING = cypher.query("schema.ping")

#: Errors that mean "not reachable yet": worth retrying while a server starts (CLI, workers, API).
TRANSIENT_ERRORS = (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, ConnectionError, OSError)


def explain_error(error: Exception, settings: Settings) -> AffinityError:
    """One line for a failure to reach Neo4j: refused credentials and a malformed URI are settings to
    fix (:class:`ConfigurationError`); anything else means the server is not there
    (:class:`DatabaseUnavailableError`, the CLI's exit status 3)."""
    if isinstance(error, neo4j_errors.AuthError):
        return ConfigurationError(
            f"Neo4j at {settings.neo4j_uri} refused user {settings.neo4j_user!r}: wrong password? "
            "(set AFFINITY_NEO4J_USER / AFFINITY_NEO4J_PASSWORD)"
        )
    if isinstance(error, neo4j_errors.ConfigurationError | ValueError):
        return ConfigurationError(f"bad Neo4j URI {settings.neo4j_uri!r}: {error}")
    reason = " ".join(str(error).split())
    if "(reason " in reason:  # the driver nests the OS error at the end: keep just that
        reason = reason.rsplit("(reason ", 1)[1].rstrip(")")
    return DatabaseUnavailableError(
        f"Neo4j is not reachable at {settings.neo4j_uri} ({reason[:200]}); "
        "start it with `affinity db start` or set AFFINITY_NEO4J_URI"
    )


def driver_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of every driver (sync and async) built from ``settings``."""
    return {
        "auth": (settings.neo4j_user, settings.neo4j_password.get_secret_value()),
        "connection_timeout": settings.neo4j_connect_timeout_s,
        # Waiting for a pooled connection, and retrying while Neo4j is away, are bounded by settings
        # of a few seconds (not the driver's 60 s and 30 s): callers fail fast as unavailable.
        "connection_acquisition_timeout": settings.neo4j_acquisition_timeout_s,
        "max_transaction_retry_time": settings.neo4j_retry_time_s,
        # Schema-free reads on a young graph raise "label does not exist" warnings: noise here.
        "notifications_min_severity": neo4j.NotificationMinimumSeverity.OFF,
    }


def create_driver(settings: Settings) -> neo4j.Driver:
    """A driver for ``settings``; does not connect yet."""
    try:
        return neo4j.GraphDatabase.driver(settings.neo4j_uri, **driver_options(settings))
    except (neo4j_errors.ConfigurationError, ValueError) as error:
        raise explain_error(error, settings) from None


def connect(settings: Settings, wait_s: float = 0.0) -> neo4j.Driver:
    """A driver whose connectivity (and credentials) are verified, retrying for ``wait_s`` seconds."""
    driver = create_driver(settings)

    @retry(
        retry=retry_if_exception_type(TRANSIENT_ERRORS),
        stop=stop_after_delay(wait_s),
        wait=wait_exponential(multiplier=0.2, max=2.0),
        reraise=True,
    )
    def _verify() -> None:
        driver.verify_connectivity()
        # verify_connectivity does not always authenticate; a trivial query does.
        driver.execute_query(PING, database_=settings.neo4j_database)

    try:
        _verify()
    except Exception as error:
        driver.close()
        raise explain_error(error, settings) from None
    return driver


@contextmanager
def session_driver(settings: Settings, wait_s: float = 0.0) -> Iterator[neo4j.Driver]:
    driver = connect(settings, wait_s=wait_s)
    try:
        yield driver
    finally:
        driver.close()
