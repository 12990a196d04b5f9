#!/usr/bin/env bash
# The main job: the whole stack on the shipped Online Retail data, ending with the API serving.
# Safe to run again: every step is idempotent and skips what is already done (a second ingest reports
# "nothing changed", a second retrain only re-embeds changed texts).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }
mkdir -p var/logs

step "Neo4j: start and migrate the schema"
affinity db start
affinity db migrate

step "Broker"
if ! affinity broker start; then
  export AFFINITY_BROKER_URL="sqla+sqlite:///$PWD/var/celery-broker.sqlite"
  echo "Redis unavailable: falling back to the embedded SQLite broker ($AFFINITY_BROKER_URL)"
fi

step "Ingest the Online Retail data (data/online-retail, CC0)"
affinity ingest convert-online-retail
affinity ingest var/datasets/online-retail

step "Observed associations (BOUGHT_WITH)"
affinity associations observe

step "Worker (queues gpu and io)"
if [ -f var/worker.pid ] && kill -0 "$(cat var/worker.pid)" 2>/dev/null; then
  echo "worker already running (pid $(cat var/worker.pid))"
else
  nohup affinity worker --queues gpu,io > var/logs/worker.log 2>&1 &
  echo $! > var/worker.pid
  echo "worker started (pid $!, log var/logs/worker.log)"
fi

step "Retrain: observe, export, embed, train, evaluate, write, activate, prune"
affinity retrain --wait
affinity model list

step "GraphQL API"
api_port=${AFFINITY_API_PORT:-8000}
affinity serve > var/logs/api.log 2>&1 &
api_pid=$!
trap 'kill $api_pid 2>/dev/null || true' INT TERM
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null && break
  kill -0 $api_pid 2>/dev/null || { cat var/logs/api.log; exit 1; }
  sleep 0.5
done
read_key=${AFFINITY_API_KEYS_READ:-dev-read-key}
read_key=${read_key%%,*}
query='{ associations(productId: "85123A", kind: COMPLEMENT, first: 5) { rank score product { productId title } explanation { summary } } }'
echo "First query (what goes with the WHITE HANGING HEART T-LIGHT HOLDER):"
echo "  $query"
curl -s "http://127.0.0.1:$api_port/graphql" -H "X-API-Key: $read_key" -H 'Content-Type: application/json' \
  -d "$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$query")" | python3 -m json.tool
cat <<MSG

Affinity is serving (Ctrl-C stops the API; \`affinity db stop\` and \`affinity broker stop\` stop the rest):
  Reference shop page     http://127.0.0.1:$api_port/shop/?key=$read_key
  GraphQL API + GraphiQL  http://127.0.0.1:$api_port/graphql   (header X-API-Key: $read_key)
  Neo4j Browser           http://127.0.0.1:${AFFINITY_NEO4J_HTTP_PORT:-7474}/browser/   (user neo4j; queries in cypher/explore/)
  Health and metrics      http://127.0.0.1:$api_port/healthz  /readyz  /metrics
MSG
wait $api_pid
