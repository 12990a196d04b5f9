#!/usr/bin/env bash
# Regenerates the lock files in requirements/ from pyproject.toml: every package pinned, with the
# sha256 of each of its files, for Python 3.11 on x86_64 Linux (the machine and the images).
#   scripts/lock.sh             keep every pin that still satisfies pyproject.toml (adds what is new)
#   scripts/lock.sh --upgrade   move every pin to the newest version allowed
# Then run the README's test command, and commit pyproject.toml with requirements/ together.
#   dev.lock      scripts/setup.sh: every extra and the dev tools
#   image.lock    the Dockerfile's default image (API, gpu worker): api, ml, workers
#   workers.lock  the io worker and the scheduler: no ML stack
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/uv ] || .venv/bin/pip install -q uv
upgrade=()
[ "${1:-}" = "--upgrade" ] && upgrade=(--upgrade)
lock() {
  local name=$1; shift
  local extras=()
  for extra in "$@"; do extras+=(--extra "$extra"); done
  .venv/bin/uv pip compile pyproject.toml "${extras[@]}" "${upgrade[@]}" --generate-hashes \
    --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --quiet \
    --custom-compile-command "scripts/lock.sh" -o "requirements/$name.lock"
  echo "[lock] requirements/$name.lock: $(grep -c '==' "requirements/$name.lock") packages"
}
lock dev api ml workers multilingual dev
lock image api ml workers
lock workers workers
