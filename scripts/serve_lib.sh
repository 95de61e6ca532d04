# Sourced (not run) by the scripts that check a live `make run` server of their own
# (scripts/ci_walkthrough.sh, scripts/contract_check.sh): serve the app as `make run` does
# (scripts/run.sh: migrate, shipped catalog, Celery worker with beat, runserver) on a free port
# with its own scratch VAR_DIR (SQLite database, mail, Celery files), wait until it answers,
# and stop it on exit, printing its logs if the script failed.
#
# Before sourcing: `cd` to the project, `set -euo pipefail`, SERVE_NAME (prefix of messages).
# Sourcing sets PY, VAR, PORT, BASE, LOG and SERVER_ENV (the server's environment: `make run`'s
# embedded defaults whatever the caller's environment says about PostgreSQL and Redis; append
# to it before `serve_start`, and reuse it for `manage.py` commands on the same database), and
# installs the EXIT trap. `serve_require TOOL...` checks the tools; `serve_start` serves.

PY=.venv/bin/python
SERVE_NAME="${SERVE_NAME:-serve}"
VAR="$(mktemp -d -t "${SERVE_NAME// /_}.XXXXXX")"
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
LOG="$VAR/server.log"
SERVER_PID=""
SERVER_ENV=(env -u DATABASE_URL -u CELERY_BROKER_URL -u CACHE_URL
  VAR_DIR="$VAR" DJANGO_SETTINGS_MODULE=config.settings.local)

serve_require() {
  for tool in curl setsid "$@"; do
    command -v "$tool" >/dev/null || { echo "$SERVE_NAME: $tool is not installed" >&2; exit 1; }
  done
}

serve_stop() {
  local status=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    # run.sh, its runserver and Celery worker share the process group setsid gave them
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "$SERVE_NAME: FAILED; server log ($LOG):" >&2
    tail -n 60 "$LOG" >&2 || true
    tail -n 30 "$VAR/celery.log" >&2 2>/dev/null || true
  fi
  rm -rf "$VAR"
  exit "$status"
}
trap serve_stop EXIT
trap 'exit 130' INT TERM

# Start the server in the background and wait (up to 300 s) until /healthz answers; a server
# that exits or never answers fails the script with its log.
serve_start() {
  echo "$SERVE_NAME: serving on $BASE (VAR_DIR $VAR)"
  setsid "${SERVER_ENV[@]}" HOST_PORT="127.0.0.1:$PORT" bash scripts/run.sh >"$LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "$SERVE_NAME: the server exited" >&2; exit 1; }
    sleep 1
  done
  echo "$SERVE_NAME: no answer within 300 s" >&2
  exit 1
}
