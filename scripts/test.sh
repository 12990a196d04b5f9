#!/usr/bin/env bash
# The test command: installs what is missing, runs the linters, then the whole suite.
# The suite starts its own Neo4j and Redis on free loopback ports and stops them, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "$(id -u)" = 0 ] && ! command -v chromium >/dev/null && command -v apt-get >/dev/null; then
  echo "[test] installing chromium for the GraphiQL browser test"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || echo "[test] chromium unavailable: the browser test will be skipped"
fi
echo "[test] ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] mypy"
.venv/bin/mypy affinity cypher graph_schema ingest service training workers
echo "[test] pytest"
.venv/bin/pytest -q -p no:cacheprovider "$@"
