#!/usr/bin/env bash
# The deployment checks' tools, from Debian's archive when missing: docker-compose (validates
# docker-compose.yml without a Docker engine) and promtool (the prometheus package: checks the scrape
# configuration and unit-tests the alert rules).
set -euo pipefail
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v promtool >/dev/null || missing+=(prometheus)
if [ ${#missing[@]} -eq 0 ]; then
  echo "deployment check tools ready: $(docker-compose version --short), $(promtool --version 2>&1 | head -1)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "[deploy] missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "[deploy] installing ${missing[*]} with apt"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
