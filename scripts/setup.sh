#!/usr/bin/env bash
# Installs everything Affinity needs on a fresh machine; safe to run again (each step is skipped when done).
#   - checks Python 3.11+, Java 17+ and Maven (or says what to install)
#   - creates .venv and installs exactly the pinned, hash-checked packages of requirements/dev.lock
#     (every extra, the multilingual text model's included; scripts/lock.sh updates it), then the
#     project itself; reinstalls only when pyproject.toml or the lock changes
#   - installs redis-server with apt when missing and running as root
#   - fetches the Neo4j 5.26 jars from Maven Central into var/neo4j-lib (once)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11+ is required (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11"
command -v java >/dev/null || die "Java 17+ is required for the local Neo4j (Debian: apt-get install openjdk-17-jre-headless), or use docker compose"
command -v mvn >/dev/null || die "Maven is required to fetch Neo4j from Maven Central (Debian: apt-get install maven), or use docker compose"

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.affinity-installed
want=$(cat pyproject.toml requirements/dev.lock | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python packages (torch is large: the first run downloads about 3.5 GB)"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q --require-hashes -r requirements/dev.lock
  .venv/bin/pip install -q --no-deps -e .
  echo "$want" > "$stamp"
else
  say "Python packages up to date"
fi

if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing redis-server with apt"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    say "redis-server missing and apt not usable: the demo falls back to an embedded SQLite broker"
  fi
fi

.venv/bin/python - <<'PY'
from affinity.neo4j_server import ensure_jars, paths_for
from affinity.settings import get_settings
if ensure_jars(paths_for(get_settings())):
    print("[setup] fetched the Neo4j 5.26 jars from Maven Central")
else:
    print("[setup] Neo4j jars already present")
PY
