"""Developer machine: `make run`. Embedded defaults that need no server.

SQLite under var/ and Celery's filesystem transport (one machine only). Setting
DATABASE_URL and CELERY_BROKER_URL switches the same command to PostgreSQL and Redis.
"""

from pathlib import Path

import environ

# A developer may keep overrides in .env (real environment variables win). Read before base.py
# reads the environment; production settings never read it.
environ.Env.read_env(Path(__file__).resolve().parents[2] / ".env", overwrite=False)

from .base import *  # noqa: E402, F403
from .base import DATABASES, VAR_DIR, cache_from_env, celery_broker_settings, env  # noqa: E402

VAR_DIR.mkdir(exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-secret")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# runserver serves each request in a new thread, and a persistent connection belongs to its
# thread: with CONN_MAX_AGE > 0 every request would leave one open until PostgreSQL's
# max_connections is reached. One connection per request, closed at its end.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
globals().update(celery_broker_settings(CELERY_BROKER_URL))
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"  # kombu's default is the working directory
    for _dir in (_queue_dir, _processed_dir, _control_dir):
        _dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
    }

# A file cache, not locmem: allauth's rate-limit counters must be shared by runserver, its
# autoreloaded child and any second process on this machine.
# TIMEOUT and MAX_ENTRIES: a file cache rewrites an entry with the default timeout on
# `incr` and culls at random beyond MAX_ENTRIES; day-long throttle windows and ~400 cached
# ratings need more than Django's 300 s and 300 entries.
CACHES = {"default": cache_from_env("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    CACHES["default"] = {
        **CACHES["default"],
        "TIMEOUT": 2 * 86400,
        "OPTIONS": {"MAX_ENTRIES": 20000, **CACHES["default"].get("OPTIONS", {})},
    }

# Mail is written as files under var/mail/ (one per message) and noted in the log of the
# process that sends it: the Celery worker (var/celery.log under `make run`).
EMAIL_BACKEND = "config.mail.LoggingFileBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"

# runserver serves static files itself in DEBUG; no manifest to build first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# `make run`: a receiver on this machine (the README's script) over plain HTTP.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True)
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=False)
