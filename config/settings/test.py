"""The test suite: real PostgreSQL and Redis on this machine unless told otherwise."""

from pathlib import Path

import environ

# A developer may keep overrides in .env (real environment variables win). Read before base.py
# reads the environment; production settings never read it.
environ.Env.read_env(Path(__file__).resolve().parents[2] / ".env", overwrite=False)

from .base import *  # noqa: E402, F403
from .base import cache_from_env, celery_broker_settings, env, replica_add  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105 (tests only)
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/aimodels"),
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# None unless REPLICA_DATABASE_URL is set (tests/faults/test_replica.py sets it for its server).
DATABASE_ROUTERS = replica_add(DATABASES)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
# Redis, or RabbitMQ (amqp://.../<vhost>: `make test-rabbitmq`, the pipeline's tests there).
globals().update(celery_broker_settings(CELERY_BROKER_URL))
CACHES = {"default": cache_from_env("CACHE_URL", default="rediscache://127.0.0.1:6379/14")}

# Hashing is deliberately slow in production; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise would warn that collectstatic has not run; tests serve no static files.
WHITENOISE_AUTOREFRESH = True

# SMTP is an outside edge: tests read django.core.mail.outbox. Workers the fleet tests start
# as processes of their own write each message to a file instead (EMAIL_FILE_PATH).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default="")
MODERATION_REQUIRE_MFA = False

# The rating pipeline's suites write hundreds of reviews within seconds, which is what a
# surge looks like: detection is off by default here (floors out of reach), and the
# integrity tests (tests/reviews/test_integrity_*.py) set the floors they exercise.
INTEGRITY_SURGE_MIN_REVIEWS = 10**9
INTEGRITY_SURGE_MIN_NEW_ACCOUNT_REVIEWS = 10**9
INTEGRITY_SURGE_MIN_REPORTS = 10**9

# The webhook tests run their receivers on loopback over plain HTTP; the SSRF tests put the
# production values back (production.py fixes them, whatever the environment says).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
WEBHOOK_REQUIRE_HTTPS = False
