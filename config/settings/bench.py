"""Benchmarks (`make bench`, `python -m bench run`): production-like, on this machine only.

What production does on the read path stays: DEBUG off, persistent database connections,
the Redis cache, the full middleware stack, WhiteNoise, and the production throttles (per
client address, account and API key). What a load test on loopback cannot have goes: the
HTTPS redirect (wrk speaks plain HTTP to 127.0.0.1). wrk plays a trusted proxy on loopback
and sets X-Forwarded-For from a pool of client addresses (bench/wrk.py). The bench has its
own database and Redis databases, so a run never touches development or test data:
PostgreSQL `aimodels_bench` (`BENCH_DATABASE_URL`), cache in Redis db 12, broker in db 13.
"""

from pathlib import Path

import environ

# A developer may keep overrides in .env (real environment variables win). Read before base.py
# reads the environment; production settings never read it.
environ.Env.read_env(Path(__file__).resolve().parents[2] / ".env", overwrite=False)

from .base import *  # noqa: E402, F403
from .base import REST_FRAMEWORK, VAR_DIR, cache_from_env, celery_broker_settings, env  # noqa: E402

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="bench-only-not-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Floor and naive-peer baselines next to the real API, served by the same gunicorn.
ROOT_URLCONF = "bench.urls"

DATABASES = {
    "default": env.db(
        "BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/aimodels_bench"
    ),
}
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = []  # one database: the bench measures the primary

CACHES = {"default": cache_from_env("BENCH_CACHE_URL", default="rediscache://127.0.0.1:6379/12")}
CELERY_BROKER_URL = env("BENCH_BROKER_URL", default="redis://127.0.0.1:6379/13")
globals().update(celery_broker_settings(CELERY_BROKER_URL))

SECURE_SSL_REDIRECT = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# One proxy (wrk, on loopback: TRUSTED_PROXIES' default) in front of the app: the throttles
# count the address it writes into X-Forwarded-For, each of wrk's clients on its own.
ALLAUTH_TRUSTED_PROXY_COUNT = 1
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": ALLAUTH_TRUSTED_PROXY_COUNT}

# The worker renders the moderation mails the bench's verifications cause; nothing is sent.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# The bench's moderator has no TOTP; the moderation permission is still checked.
MODERATION_REQUIRE_MFA = False

# No collectstatic before a run: the API serves no static files. WhiteNoise only needs the
# folder to exist (it warns on every start otherwise).
STATIC_ROOT = VAR_DIR / "bench" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
