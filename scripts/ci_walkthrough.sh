#!/usr/bin/env bash
# CI: serve the app as `make run` does (scripts/run.sh: migrate, shipped catalog, Celery
# worker, runserver) on a free port with its own scratch VAR_DIR (SQLite database, mail,
# Celery files), wait until it answers, run the README's walk-through against it, stop it.
# Fails loudly: a server that never comes up, or any failed step, exits non-zero with the
# server's log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
for tool in curl setsid; do
  command -v "$tool" >/dev/null || { echo "CI walkthrough: $tool is not installed" >&2; exit 1; }
done

VAR="$(mktemp -d -t walkthrough.XXXXXX)"
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
LOG="$VAR/server.log"
SERVER_PID=""

stop() {
  local status=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    # run.sh, its runserver and Celery worker share the process group setsid gave them
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "CI walkthrough: FAILED; server log ($LOG):" >&2
    tail -n 60 "$LOG" >&2 || true
    tail -n 30 "$VAR/celery.log" >&2 2>/dev/null || true
  fi
  rm -rf "$VAR"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "CI walkthrough: serving on $BASE (VAR_DIR $VAR)"
# The embedded defaults of `make run`: SQLite and the filesystem broker under VAR_DIR,
# whatever the CI environment says about PostgreSQL and Redis.
setsid env -u DATABASE_URL -u CELERY_BROKER_URL -u CACHE_URL \
  VAR_DIR="$VAR" HOST_PORT="127.0.0.1:$PORT" DJANGO_SETTINGS_MODULE=config.settings.local \
  bash scripts/run.sh >"$LOG" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 300); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "CI walkthrough: the server exited" >&2; exit 1; }
  sleep 1
done
curl -fsS "$BASE/healthz" >/dev/null || { echo "CI walkthrough: no answer within 300 s" >&2; exit 1; }

PYTHON=$PY bash scripts/signup_walkthrough.sh "$BASE" "$VAR/mail"
