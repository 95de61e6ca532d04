#!/usr/bin/env bash
# `make run`: migrate, import the shipped catalog snapshot, then serve the API on
# http://127.0.0.1:8000 with a Celery worker and beat beside it. Safe to run again.
# Embedded defaults (SQLite, Celery's filesystem broker) unless DATABASE_URL and
# CELERY_BROKER_URL are set, in which case the same steps use PostgreSQL and Redis.
# HOST_PORT and VAR_DIR (default var/: database, mail, logs) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
PY=.venv/bin/python
HOST_PORT="${HOST_PORT:-127.0.0.1:8000}"
export VAR_DIR="${VAR_DIR:-var}"
mkdir -p "$VAR_DIR"

echo "==> Applying migrations"
$PY manage.py migrate --no-input
echo "==> Importing the catalog snapshot shipped in data/catalog (idempotent)"
$PY manage.py load_shipped_catalog

echo "==> Starting the Celery worker with beat (log: $VAR_DIR/celery.log)"
.venv/bin/celery -A config worker --beat -Q default,mail,ratings,maintenance,webhooks --loglevel INFO --concurrency 1 \
  --schedule "$VAR_DIR/celerybeat-schedule" >"$VAR_DIR/celery.log" 2>&1 &
WORKER_PID=$!
trap 'echo "==> Stopping the Celery worker"; kill $WORKER_PID 2>/dev/null; wait $WORKER_PID 2>/dev/null' EXIT INT TERM

echo "==> Serving the API on http://$HOST_PORT/ (docs: http://$HOST_PORT/api/docs/; Ctrl-C stops)"
$PY manage.py runserver "$HOST_PORT"
