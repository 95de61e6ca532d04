#!/usr/bin/env bash
# CI: serve the app as `make run` does on a free port with its own scratch VAR_DIR
# (scripts/serve_lib.sh), wait until it answers, run the README's walk-through against it,
# stop it. Fails loudly: a server that never comes up, or any failed step, exits non-zero with
# the server's log.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVE_NAME="CI walkthrough"
# shellcheck source=scripts/serve_lib.sh
source scripts/serve_lib.sh
serve_require

# The embedded defaults of `make run`: SQLite and the filesystem broker under VAR_DIR,
# whatever the CI environment says about PostgreSQL and Redis.
serve_start
PYTHON=$PY bash scripts/signup_walkthrough.sh "$BASE" "$VAR/mail"
