# Two commands for a new machine: `make run` (the service on embedded defaults) and
# `make test` (the suite against the local PostgreSQL and Redis). See README.md.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-sqlite test-rabbitmq faults check lint contract bench bench-scale bench-smoke attack-sim clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The development install: what production runs (requirements.txt) plus tests, checks and
# benchmarks (requirements-dev.txt includes requirements.txt). Production installs
# requirements.txt alone. Reinstall only when either file changed since the last install.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	bash scripts/run.sh

test: $(STAMP)
	$(PY) -m pytest

# The rating pipeline on `make run`'s embedded database (SQLite), where PostgreSQL-only SQL
# once broke every recompute (and the reviews' highlights use their SQLite fallback), and the
# integrity scan after commit (its near-duplicate check skipped there); the main suite runs
# on PostgreSQL.
test-sqlite: $(STAMP)
	rm -f var/test-sqlite.sqlite3
	DATABASE_URL=sqlite:///$(CURDIR)/var/test-sqlite.sqlite3 $(PY) -m pytest -q \
		tests/reviews/test_ratings_summary.py tests/reviews/test_ratings_use_cases.py \
		tests/reviews/test_highlights.py tests/reviews/test_integrity_scan.py

# The pipeline's tests (real workers, the outbox, the fleet) on RabbitMQ, in a vhost of the
# run's own (created and deleted by the script); `make test` runs them on Redis.
test-rabbitmq: $(STAMP)
	bash scripts/test_rabbitmq.sh

# Only the fault suite (tests/faults: its own Redis servers and PostgreSQL primary + replica,
# a real worker, supervisord);
# `make test` runs it too. Figures in bench/results/tmp/faults.json.
faults: $(STAMP)
	$(PY) -m pytest -m faults -s

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The static checks CI runs beside the suite. The migrations check runs on an in-memory
# database: it compares the models with the migration files and needs no server. mypy's
# settings are in pyproject.toml (django-stubs and djangorestframework-stubs plugins).
check: lint
	DATABASE_URL=sqlite://:memory: DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	bash scripts/check_deploy.sh
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(PY) -m mypy

# The API contract against a live `make run` server: schemathesis (anonymous and as a
# verified user) and a TypeScript page type-checked against types generated from the live
# schema (contract/, npm packages pinned by its lockfile). See README.md, "API contract".
contract: $(STAMP)
	bash scripts/contract_check.sh

# Benchmarks against real PostgreSQL and Redis, the API served by gunicorn and loaded by wrk
# (installed by the bench if missing). Results in bench/results/. See README.md, "Benchmarks".
BENCH_REVIEWS ?= 1000000
bench: $(STAMP)
	$(PY) -m bench run --reviews $(BENCH_REVIEWS)

# How the costs grow with the data (issue 19): one load per size by COPY, in its own database
# (aimodels_bench_scale), 1M then 10M reviews; about 15 GB of disk at 10M and most of an hour.
# Results in bench/results/scale.json and scale.md.
BENCH_SCALE_REVIEWS ?= 1000000,10000000
bench-scale: $(STAMP)
	$(PY) -m bench scale --reviews $(BENCH_SCALE_REVIEWS)

# The same code at a tiny scale, in its own database (CI runs it; it asserts no timing).
bench-smoke: $(STAMP)
	$(PY) -m bench run --smoke

# Campaigns against a rating (issue 13): reports, a one-star wave, near-copies; through the
# API with a real Celery worker, in its own database (aimodels_attack) and Redis dbs
# (ATTACK_CACHE_URL, ATTACK_BROKER_URL). See README.md, "Rating integrity".
attack-sim: $(STAMP)
	$(PY) -m bench.attack_sim

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache
