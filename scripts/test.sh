#!/usr/bin/env bash
# The whole test suite: Python (unit, integration with real workers, browser) and frontend units.
# Runs on the embedded default unless DATABASE_URL / REDIS_URL point at PostgreSQL / Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
# Tests get their own var/ (SQLite files, filesystem broker, artifacts), apart from the demo's.
export VAR_DIR="${VAR_DIR:-$PWD/var/test}"
rm -rf "$VAR_DIR" && mkdir -p "$VAR_DIR" test-artifacts
command -v npm >/dev/null || export PATH="$PWD/.venv/bin:$PATH"  # Node.js from PyPI (setup.sh)
if [ -f frontend/package.json ]; then
  (cd frontend && npm test --silent)
fi
.venv/bin/ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run -v0
exec .venv/bin/pytest "$@"
