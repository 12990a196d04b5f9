#!/usr/bin/env bash
# The main job: the whole stack on the shipped Online Retail data, ending with the API serving.
# Safe to run again: every step is idempotent and skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "Neo4j"
affinity db start
affinity db migrate

step "Broker"
if ! affinity broker start; then
  export AFFINITY_BROKER_URL="sqla+sqlite:///$PWD/var/celery-broker.sqlite"
  echo "Redis unavailable: falling back to the embedded SQLite broker ($AFFINITY_BROKER_URL)"
fi

step "Ready"
affinity db status
echo
echo "Neo4j Browser:  http://127.0.0.1:${AFFINITY_NEO4J_HTTP_PORT:-7474}/browser/  (user neo4j)"
echo "Bolt:           bolt://127.0.0.1:${AFFINITY_NEO4J_BOLT_PORT:-7687}"
