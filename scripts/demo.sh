#!/usr/bin/env bash
# One command on a fresh machine: set up, load a demo project from real data, and run the web
# server (gunicorn, scripts/serve.sh) and a Celery worker on the embedded default (SQLite +
# filesystem broker; DATABASE_URL / REDIS_URL select PostgreSQL / Redis). Ctrl+C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
PORT=${PORT:-8000}
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py load_demo

.venv/bin/celery -A annotation_site worker -Q default,gpu -P solo -B \
  --schedule var/celerybeat-schedule --loglevel WARNING &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
echo "== Celery worker started (pid $worker)"
echo "== open http://127.0.0.1:$PORT/  (logins above; API docs at /api/docs/)"
scripts/serve.sh "127.0.0.1:$PORT"
