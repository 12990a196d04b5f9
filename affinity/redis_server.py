"""A local Redis for the Celery broker, on loopback, started and stopped by its own PID.

Where no ``redis-server`` can be had, :func:`embedded_broker_url` gives Celery's SQLAlchemy transport
on SQLite: slower and single-machine, but a working broker with no extra service.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from affinity.errors import ConfigurationError
from affinity.neo4j_server import read_pid_file
from affinity.settings import Settings


def pid_file(settings: Settings) -> Path:
    return settings.redis_dir / "redis.pid"


def redis_binary(install: bool = False) -> str | None:
    found = shutil.which("redis-server")
    if found or not install:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return None
    # apt needs its lists once on a fresh machine; both steps are no-ops when already done.
    subprocess.run([apt, "update", "-qq"], capture_output=True, check=False)
    subprocess.run([apt, "install", "-y", "-qq", "redis-server"], capture_output=True, check=False)
    return shutil.which("redis-server")


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start(settings: Settings, install: bool = True) -> int:
    """Start redis-server on 127.0.0.1:``redis_port`` (idempotent); return its PID."""
    existing = read_pid_file(pid_file(settings))
    if existing is not None and port_answers(settings.redis_port):
        return existing
    binary = redis_binary(install=install)
    if binary is None:
        raise ConfigurationError(
            "redis-server not found: install it (Debian: `apt-get install redis-server`) "
            "or set AFFINITY_BROKER_URL to an existing Redis"
        )
    settings.redis_dir.mkdir(parents=True, exist_ok=True)
    log = settings.redis_dir / "redis.log"
    result = subprocess.run(
        [
            binary, "--port", str(settings.redis_port), "--bind", "127.0.0.1",
            "--daemonize", "yes", "--pidfile", str(pid_file(settings)), "--dir", str(settings.redis_dir),
            "--logfile", str(log), "--save", "", "--appendonly", "no",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise ConfigurationError(
            f"redis-server failed to start: {result.stderr.strip() or result.stdout.strip()}"
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pid = read_pid_file(pid_file(settings))
        if pid is not None and port_answers(settings.redis_port):
            return pid
        time.sleep(0.1)
    raise ConfigurationError(f"redis-server did not answer on port {settings.redis_port}; see {log}")


def stop(settings: Settings) -> bool:
    pid = read_pid_file(pid_file(settings))
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and read_pid_file(pid_file(settings)) is not None:
        time.sleep(0.1)
    return True


def embedded_broker_url(settings: Settings) -> str:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqla+sqlite:///{settings.data_dir / 'celery-broker.sqlite'}"
