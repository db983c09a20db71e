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

# Two workers, as in production: snapshots, stats and the beat's bookkeeping on `default` do not
# wait behind a training run on `gpu` (one worker for both queues held a snapshot pending for as
# long as the runs before it took).
VAR="${VAR_DIR:-var}"
mkdir -p "$VAR"
.venv/bin/celery -A annotation_site worker -Q default -P solo -B -n "default@%h" \
  --schedule "$VAR/celerybeat-schedule" --loglevel WARNING &
default_worker=$!
.venv/bin/celery -A annotation_site worker -Q gpu -P solo -n "gpu@%h" --prefetch-multiplier 1 --loglevel WARNING &
gpu_worker=$!
trap 'kill $default_worker $gpu_worker 2>/dev/null; wait $default_worker $gpu_worker 2>/dev/null' EXIT INT TERM
echo "== Celery workers started (default queue: pid $default_worker; gpu queue: pid $gpu_worker)"
echo "== open http://127.0.0.1:$PORT/  (logins above; API docs at /api/docs/)"
scripts/serve.sh "127.0.0.1:$PORT"
