"""The async Neo4j driver the API serves from: one per process, with a connection pool.

Built from the same settings as :mod:`affinity.db` (the sync driver the CLI and workers use), and
failing with the same one-line errors: a wrong password, a bad URI and an unreachable server each
name the setting to fix.
"""

from __future__ import annotations

import neo4j
from neo4j import exceptions as neo4j_errors
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

import cypher
from affinity.db import TRANSIENT_ERRORS, driver_options
from affinity.db import explain_error as explain_driver_error
from affinity.settings import Settings

__all__ = ["connect_async", "create_async_driver"]

PING = cypher.query("schema.ping")

#: Connections kept per process; uvicorn workers each have their own pool.
POOL_SIZE = 50


def create_async_driver(settings: Settings, pool_size: int = POOL_SIZE) -> neo4j.AsyncDriver:
    """An async driver for ``settings``; does not connect yet."""
    try:
        return neo4j.AsyncGraphDatabase.driver(
            settings.neo4j_uri, max_connection_pool_size=pool_size, **driver_options(settings)
        )
    except (neo4j_errors.ConfigurationError, ValueError) as error:
        raise explain_driver_error(error, settings) from None


async def connect_async(settings: Settings, wait_s: float = 0.0) -> neo4j.AsyncDriver:
    """An async driver whose connectivity and credentials are verified, retrying for ``wait_s`` s."""
    driver = create_async_driver(settings)
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(TRANSIENT_ERRORS),
            stop=stop_after_delay(wait_s),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        ):
            with attempt:
                await driver.verify_connectivity()
                await driver.execute_query(PING, database_=settings.neo4j_database)
    except Exception as error:
        await driver.close()
        raise explain_driver_error(error, settings) from None
    return driver
