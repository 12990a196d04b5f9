#!/usr/bin/env bash
# Installs what the GraphiQL browser check needs: Debian's Chromium (where apt is usable) and the npm
# packages of tests/browser/package.json into var/browser-check (ignored by git). Safe to run twice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$root/var/browser-check"
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: install it (apt-get install chromium) to run the GraphiQL check" >&2
    exit 1
  fi
fi
mkdir -p "$target"
cp "$here/package.json" "$target/package.json"
[ -f "$here/package-lock.json" ] && cp "$here/package-lock.json" "$target/package-lock.json"
if [ -f "$target/package-lock.json" ]; then
  (cd "$target" && npm ci --no-audit --no-fund --loglevel=error)
else
  (cd "$target" && npm install --no-audit --no-fund --loglevel=error)
  cp "$target/package-lock.json" "$here/package-lock.json"
fi
echo "browser check ready: $(chromium --version), node_modules in $target"
