#!/usr/bin/env bash
# `manage.py check --deploy` with the production settings and throwaway values for the
# variables production requires; it must print no warning at all.
set -euo pipefail
cd "$(dirname "$0")/.."
secret=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(64))')
out=$(DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY="$secret" \
  ALLOWED_HOSTS=reviews.example.org DATABASE_URL=postgres://postgres@127.0.0.1:5432/aimodels \
  .venv/bin/python manage.py check --deploy --fail-level WARNING 2>&1) || { echo "$out"; exit 1; }
echo "$out"
# Production must refuse to start without its required variables.
if DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY= ALLOWED_HOSTS= DATABASE_URL= \
  .venv/bin/python manage.py check >/dev/null 2>&1; then
  echo "production settings started without SECRET_KEY/ALLOWED_HOSTS/DATABASE_URL" >&2
  exit 1
fi
echo "production settings refuse to start without their required variables: ok"
