#!/usr/bin/env bash
# The web app under gunicorn (static files by whitenoise) with a bounded number of workers and
# threads, hence of database connections (annotation_site/gunicorn.conf.py). Usage:
#   scripts/serve.sh [HOST:PORT]      (default 127.0.0.1:8000; WEB_WORKERS, WEB_THREADS)
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/gunicorn annotation_site.wsgi:application -c annotation_site/gunicorn.conf.py \
  --bind "${1:-127.0.0.1:8000}"
