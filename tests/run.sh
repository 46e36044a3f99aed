#!/usr/bin/env bash
# Install what the tests need, then run them all:  bash tests/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
# Debian's Chromium (the browser tests), redis-server and nginx (the audience and replica tests),
# npm (axe-core, for the accessibility test)
missing=""
for tool in chromium redis-server nginx npm; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq && $sudo apt-get install -y -qq $missing >/dev/null
fi
[ -f tests/node_modules/axe-core/axe.min.js ] || npm ci --prefix tests --no-audit --no-fund --silent
ruff check --quiet .
# One thread per TensorFlow op, as app.py's: three workers share two cores.
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
# Three workers, a module each at a time, the slowest first (tests/conftest.py): the suite waits
# on servers and browsers for much of its time, and the other workers use the cores meanwhile.
python -m pytest -n 3 --dist loadfile --no-loadscope-reorder --durations=15 "$@"
