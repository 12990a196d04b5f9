"""A real Neo4j 5.26 Community server assembled from Maven Central, run without Docker.

``deploy/neo4j/pom.xml`` names the server and Browser artifacts; Maven copies their jars once into a
shared cache (``var/neo4j-lib``), and every server home (the main one, each test run's) points its
classpath there. The server is ``org.neo4j.server.CommunityEntryPoint`` under Java 17, started in
the background with its PID in ``<home>/run/affinity-neo4j.pid`` so ``stop`` kills only its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import neo4j

from affinity.errors import ConfigurationError
from affinity.settings import PROJECT_ROOT, Settings

POM = PROJECT_ROOT / "deploy" / "neo4j" / "pom.xml"
MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"


@dataclass(frozen=True)
class ServerPaths:
    home: Path
    lib: Path

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "affinity-neo4j.pid"

    @property
    def console_log(self) -> Path:
        return self.home / "logs" / "console.log"

    @property
    def ready_marker(self) -> Path:
        return self.lib / ".complete"


def paths_for(settings: Settings) -> ServerPaths:
    return ServerPaths(home=settings.neo4j_home, lib=settings.neo4j_lib_cache)


def _require(tool: str, advice: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise ConfigurationError(f"{tool} not found on PATH: {advice}")
    return found


def java_major_version(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    # e.g. 'openjdk version "17.0.15" 2025-04-15'
    for token in out.split():
        token = token.strip('"')
        if token[:2].isdigit():
            major = token.split(".")[0]
            return int(major if major != "1" else token.split(".")[1])
    raise ConfigurationError(f"could not read the Java version from: {out.strip()!r}")


def ensure_jars(paths: ServerPaths) -> bool:
    """Copy the server jars from Maven Central once; return True if they were fetched now."""
    if paths.ready_marker.exists():
        return False
    mvn = _require("mvn", "install Maven 3.8+ (Debian: `apt-get install maven`) or use Docker instead")
    paths.lib.mkdir(parents=True, exist_ok=True)
    staging = paths.lib.with_name(paths.lib.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(
        [
            mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}", "-DincludeScope=runtime",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise ConfigurationError("Maven could not fetch the Neo4j jars: " + " | ".join(tail))
    # Swap in atomically so an interrupted download is never taken for a complete one.
    shutil.rmtree(paths.lib, ignore_errors=True)
    staging.rename(paths.lib)
    paths.ready_marker.write_text("ok\n")
    return True


def write_config(settings: Settings, paths: ServerPaths) -> Path:
    for sub in ("conf", "data", "logs", "run", "plugins", "import", "licenses"):
        (paths.home / sub).mkdir(parents=True, exist_ok=True)
    conf = paths.conf_dir / "neo4j.conf"
    conf.write_text(
        "\n".join(
            [
                "# Written by `affinity db start`; edit the AFFINITY_NEO4J_* settings instead.",
                f"server.bolt.listen_address=127.0.0.1:{settings.neo4j_bolt_port}",
                f"server.bolt.advertised_address=127.0.0.1:{settings.neo4j_bolt_port}",
                f"server.http.listen_address=127.0.0.1:{settings.neo4j_http_port}",
                f"server.http.advertised_address=127.0.0.1:{settings.neo4j_http_port}",
                "server.https.enabled=false",
                f"server.directories.data={paths.home / 'data'}",
                f"server.directories.logs={paths.home / 'logs'}",
                f"server.directories.run={paths.home / 'run'}",
                f"server.directories.plugins={paths.home / 'plugins'}",
                f"server.directories.import={paths.home / 'import'}",
                f"server.memory.pagecache.size={settings.neo4j_pagecache}",
                f"db.memory.transaction.total.max={settings.neo4j_tx_memory_max}",
                "db.transaction.timeout=300s",
                "dbms.usage_report.enabled=false",
                "server.config.strict_validation.enabled=false",
                # Neo4j Browser may fetch the API's guide (`:play http://<api>/guide`, service/guide.py)
                # and plays it once connected.
                "browser.remote_content_hostname_whitelist="
                + ",".join(dict.fromkeys(["guides.neo4j.com", "localhost", "127.0.0.1", settings.api_host])),
                f"browser.post_connect_cmd=play http://{settings.api_host}:{settings.api_port}/guide",
                "",
            ]
        )
    )
    return conf


def process_alive(pid: int) -> bool:
    try:
        # Reap it when it is our own child (tests start servers in-process), else it lingers as a zombie.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_pid_file(pid_file: Path) -> int | None:
    """The PID recorded in ``pid_file`` if that process still runs."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if process_alive(pid) else None


def read_pid(paths: ServerPaths) -> int | None:
    return read_pid_file(paths.pid_file)


def _set_initial_password(settings: Settings, paths: ServerPaths, java: str) -> None:
    if (paths.home / "data" / "dbms").exists():
        return  # only possible before the first start; afterwards the password lives in the system db
    env = {**os.environ, "NEO4J_HOME": str(paths.home), "NEO4J_CONF": str(paths.conf_dir)}
    result = subprocess.run(
        [
            java, "-cp", f"{paths.lib}/*", ADMIN_CLASS, "dbms", "set-initial-password",
            settings.neo4j_password.get_secret_value(),
        ],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise ConfigurationError(f"neo4j-admin set-initial-password failed: {result.stderr.strip()[-300:]}")


def bolt_answers(settings: Settings) -> bool:
    uri = f"bolt://127.0.0.1:{settings.neo4j_bolt_port}"
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    try:
        with neo4j.GraphDatabase.driver(uri, auth=auth, connection_timeout=2) as driver:
            driver.verify_connectivity()
        return True
    except Exception:
        return False


def running(settings: Settings) -> int | None:
    """The local server's PID when it runs and answers on Bolt, else None."""
    existing = read_pid(paths_for(settings))
    return existing if existing is not None and bolt_answers(settings) else None


def start(settings: Settings) -> int:
    """Start the local server (idempotent) and wait until Bolt answers; return its PID."""
    paths = paths_for(settings)
    existing = running(settings)
    if existing is not None:
        return existing
    java = _require(
        "java", "install Java 17+ (Debian: `apt-get install openjdk-17-jre-headless`) or use Docker"
    )
    if java_major_version(java) < 17:
        raise ConfigurationError("Neo4j 5.26 needs Java 17 or newer; `java -version` reports an older one")
    ensure_jars(paths)
    write_config(settings, paths)
    _set_initial_password(settings, paths, java)
    paths.console_log.parent.mkdir(parents=True, exist_ok=True)
    with paths.console_log.open("ab") as log:
        process = subprocess.Popen(
            [
                java, f"-Xms{settings.neo4j_heap}", f"-Xmx{settings.neo4j_heap}",
                "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", "-Dfile.encoding=UTF-8",
                "-cp", f"{paths.lib}/*", MAIN_CLASS,
                f"--home-dir={paths.home}", f"--config-dir={paths.conf_dir}",
            ],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the CLI that started it
        )  # fmt: skip
    paths.pid_file.parent.mkdir(parents=True, exist_ok=True)
    paths.pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + settings.neo4j_startup_wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = paths.console_log.read_text(errors="replace").strip().splitlines()[-5:]
            raise ConfigurationError("Neo4j exited during start-up: " + " | ".join(tail))
        if bolt_answers(settings):
            return process.pid
        time.sleep(0.5)
    stop(settings)
    raise ConfigurationError(
        f"Neo4j did not answer on Bolt port {settings.neo4j_bolt_port} within "
        f"{settings.neo4j_startup_wait_s:.0f}s; see {paths.console_log}"
    )


def stop(settings: Settings, timeout_s: float = 30.0) -> bool:
    """Stop the server this project started (by its PID); return False if none was running."""
    paths = paths_for(settings)
    pid = read_pid(paths)
    if pid is None:
        paths.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and read_pid(paths) is not None:
        time.sleep(0.2)
    if read_pid(paths) is not None:
        os.kill(pid, signal.SIGKILL)
    paths.pid_file.unlink(missing_ok=True)
    return True


def _admin(settings: Settings, *args: str) -> str:
    """Run ``neo4j-admin`` on the local server's home; its output, or ConfigurationError naming why."""
    paths = paths_for(settings)
    java = _require("java", "install Java 17+ (Debian: `apt-get install openjdk-17-jre-headless`)")
    ensure_jars(paths)
    write_config(settings, paths)
    env = {**os.environ, "NEO4J_HOME": str(paths.home), "NEO4J_CONF": str(paths.conf_dir)}
    result = subprocess.run(
        [java, "-cp", f"{paths.lib}/*", ADMIN_CLASS, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-3:]
        raise ConfigurationError(f"neo4j-admin {' '.join(args[:2])} failed: {' | '.join(detail)}")
    return result.stdout


def _require_stopped(settings: Settings, what: str) -> None:
    if read_pid(paths_for(settings)) is not None:
        raise ConfigurationError(
            f"the local Neo4j is running: Neo4j Community {what} only a stopped database; "
            "run `affinity db stop` first (and `affinity db start` after)"
        )


def dump(settings: Settings, to_dir: Path) -> Path:
    """``neo4j-admin database dump`` of the stopped local server's database into ``to_dir``."""
    _require_stopped(settings, "dumps")
    to_dir.mkdir(parents=True, exist_ok=True)
    database = settings.neo4j_database
    _admin(settings, "database", "dump", database, f"--to-path={to_dir}", "--overwrite-destination=true")
    return to_dir / f"{database}.dump"


def load(settings: Settings, from_dir: Path) -> Path:
    """``neo4j-admin database load`` of ``from_dir``/<database>.dump (what :func:`dump` writes) over
    the stopped local server's database; returns the dump loaded."""
    _require_stopped(settings, "loads into")
    dump_file = from_dir / f"{settings.neo4j_database}.dump"
    if not dump_file.is_file():
        raise ConfigurationError(f"no dump at {dump_file} (`affinity db backup {from_dir}` writes one)")
    _admin(
        settings, "database", "load", settings.neo4j_database, f"--from-path={from_dir}",
        "--overwrite-destination=true",
    )  # fmt: skip
    return dump_file
