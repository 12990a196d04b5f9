"""`affinity serve`: the GraphQL API on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from affinity.db import connect
from affinity.prometheus import use_multiprocess_dir
from affinity.settings import Environment
from cli.common import command, console, load_settings

app = typer.Typer(help="The GraphQL API.")


@app.callback(invoke_without_command=True)
@command
def serve(
    host: Annotated[str | None, typer.Option(help="interface to bind (default: AFFINITY_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: AFFINITY_API_PORT)")] = None,
    workers: Annotated[
        int | None, typer.Option(help="uvicorn worker processes (default: AFFINITY_API_WORKERS)")
    ] = None,
    log_level: Annotated[str, typer.Option(help="log level of the JSON logs")] = "info",
) -> None:
    """Serve GraphQL at /graphql (GraphiQL there in development), /healthz, /readyz and /metrics."""
    settings = load_settings()
    host = host or settings.api_host
    port = port or settings.api_port
    workers = workers or settings.api_workers
    # Fail with one clear line now, rather than in every worker's start-up.
    connect(settings, wait_s=settings.neo4j_startup_wait_s).close()
    # One scrape of /metrics sums every worker process, whichever of them answers it.
    use_multiprocess_dir(settings.metrics_dir / f"api-{port}")

    import uvicorn

    base = f"http://{host}:{port}"
    console.print(
        f"GraphQL API   {base}/graphql"
        + (" (GraphiQL in a browser)" if settings.environment is Environment.development else "")
    )
    console.print(f"Neo4j Browser http://127.0.0.1:{settings.neo4j_http_port}/browser/")
    console.print(f"health        {base}/healthz  {base}/readyz  {base}/metrics")
    example = (
        '{"query": "{ activeModel { versionId } products(first: 3) '
        '{ totalCount edges { node { productId title } } } }"}'
    )
    console.print(
        f"try           curl -s {base}/graphql -H 'X-API-Key: <read key>' "
        f"-H 'Content-Type: application/json' -d '{example}'"
    )
    uvicorn.run(
        "service.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
