#!/usr/bin/env bash
# The test command: installs what is missing, runs the linters, then the whole suite.
# The suite starts its own Neo4j and Redis on free loopback ports and stops them, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "[test] browser check prerequisites (Chromium from apt, GraphiQL assets and playwright-core from npm)"
# The browser check is part of the suite: if its prerequisites cannot be installed, its test fails
# (saying why) instead of being skipped.
export AFFINITY_REQUIRE_BROWSER=1
tests/browser/setup.sh || echo "[test] error: the browser check's prerequisites could not be installed; tests/browser will fail"
echo "[test] deployment check tools (docker-compose and promtool from apt)"
tests/deploy/setup.sh || echo "[test] error: the deployment checks' tools could not be installed; tests/deploy will fail"
echo "[test] ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] mypy"
.venv/bin/mypy affinity cli cypher graph_schema ingest service stores training workers
echo "[test] import contracts (docs/architecture.md)"
.venv/bin/lint-imports --no-cache
echo "[test] pytest (two processes, each with its own Neo4j and Redis, sharing out whole modules)"
.venv/bin/pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=25 "$@"
