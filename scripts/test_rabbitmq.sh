#!/usr/bin/env bash
# The pipeline's tests on RabbitMQ (`make test-rabbitmq`): the outbox's tests and the fleet's
# (see below for what runs on Redis only for now), with CELERY_BROKER_URL on a
# vhost of this run's own, created here and deleted on exit (never the default vhost "/").
# Needs a RabbitMQ on RABBITMQ_HOST:RABBITMQ_PORT (127.0.0.1:5672, guest/guest) and its
# rabbitmqctl on PATH (vhosts are made with it: this setup has no management plugin).
set -euo pipefail
cd "$(dirname "$0")/.."

host=${RABBITMQ_HOST:-127.0.0.1}
port=${RABBITMQ_PORT:-5672}
user=${RABBITMQ_USER:-guest}
password=${RABBITMQ_PASSWORD:-guest}
vhost="aimodels_test_$(hostname -s)_$$"

command -v rabbitmqctl >/dev/null || { echo "test-rabbitmq: rabbitmqctl not found" >&2; exit 1; }
rabbitmqctl -q add_vhost "$vhost"
trap 'rabbitmqctl -q delete_vhost "$vhost" || true' EXIT
rabbitmqctl -q set_permissions -p "$vhost" "$user" ".*" ".*" ".*"

export CELERY_BROKER_URL="amqp://${user}:${password}@${host}:${port}/${vhost}"
echo "test-rabbitmq: broker amqp://${host}:${port}/${vhost}"
# The outbox's tests (events), then the fleet's.
.venv/bin/python -m pytest -p no:cacheprovider -q "$@" tests/events
# On RabbitMQ so far: the fleet (two gunicorns, two workers per pool, kills) and the mail
# backlog. Not yet here (they errored or hung on RabbitMQ after the stop-23 merge, see the
# issue 19 note): the real-worker tests of tests/reviews, tests/accounts and tests/webhooks,
# and the sweep-lock test; `make test` runs all of them on Redis.
.venv/bin/python -m pytest -p no:cacheprovider -q "$@" -m "(worker or fleet) and not faults" \
  tests/fleet/test_fleet.py tests/fleet/test_worker_pools.py -k "not sweep_skips"
