"""`affinity broker start|stop|status`: a local Redis for Celery."""

from __future__ import annotations

import typer

from affinity import redis_server
from cli.common import JSON_OPTION, command, console, load_settings, print_json

app = typer.Typer(help="The Celery broker (a local Redis).", no_args_is_help=True)


@app.command()
@command
def start(
    install: bool = typer.Option(True, help="apt-get install redis-server when it is missing (as root)"),
) -> None:
    """Start redis-server on loopback (installing it with apt when missing and permitted)."""
    settings = load_settings()
    pid = redis_server.start(settings, install=install)
    console.print(f"Redis running (pid {pid}): redis://127.0.0.1:{settings.redis_port}")


@app.command()
@command
def stop() -> None:
    """Stop the Redis that `affinity broker start` started."""
    settings = load_settings()
    console.print("Redis stopped." if redis_server.stop(settings) else "Redis was not running.")


@app.command()
@command
def status(as_json: bool = JSON_OPTION) -> None:
    """Whether the local Redis answers (exit 2 when not)."""
    settings = load_settings()
    up = redis_server.port_answers(settings.redis_port)
    if as_json:
        print_json({"port": settings.redis_port, "up": up})
    else:
        console.print(f"Redis on port {settings.redis_port}: {'up' if up else 'down'}")
    if not up:
        raise typer.Exit(code=2)
