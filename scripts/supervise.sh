#!/usr/bin/env bash
# Run the production process model (deploy/supervisord.conf: web, one worker per queue
# group, beat; each restarted when it dies) in the foreground. RUN_DIR holds the socket,
# the pid file and the logs (default var/run). Set the production environment first.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUN_DIR="${RUN_DIR:-$PWD/var/run}"
mkdir -p "$RUN_DIR" var
exec .venv/bin/supervisord -c deploy/supervisord.conf
