"""What each environment's settings choose for accounts, read from a fresh process."""

import json
import os
import subprocess
import sys

from tests.accounts.conftest import PROJECT_DIR

NAMES = [
    "CACHES", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "DEFAULT_FROM_EMAIL",
    "MODERATION_REQUIRE_MFA", "HEADLESS_FRONTEND_URLS", "ALLAUTH_TRUSTED_PROXY_COUNT",
    "REST_FRAMEWORK", "CELERY_TASK_ROUTES", "DATABASES",
]  # fmt: skip
CLEARED = ["CACHE_URL", "CELERY_BROKER_URL", "DATABASE_URL", "EMAIL_URL", "FRONTEND_URL"]


def settings_of(module: str, **env: str) -> dict:
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}, default=str))"
    )
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(DJANGO_SETTINGS_MODULE=module, **env)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_local_settings_share_rate_limits_in_a_file_cache_and_write_mail_to_var():
    local = settings_of("config.settings.local")
    cache = local["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert cache["LOCATION"].rstrip("/").endswith("var/cache")
    assert local["EMAIL_BACKEND"] == "config.mail.LoggingFileBackend"
    assert local["MODERATION_REQUIRE_MFA"] is False
    assert local["CELERY_TASK_ROUTES"]["events.tasks.delivery_task"] == {"queue": "mail"}


def test_make_run_on_postgresql_holds_no_connection_per_runserver_thread():
    # runserver starts a thread per request; persistent connections would pile up
    local = settings_of("config.settings.local", DATABASE_URL="postgres://u@db/reviews")
    assert local["DATABASES"]["default"]["CONN_MAX_AGE"] == 0


def test_production_settings_take_mail_frontend_and_proxies_from_the_environment():
    production = settings_of(
        "config.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="reviews.example.org",
        DATABASE_URL="postgres://u@db/reviews",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.org:587",
        DEFAULT_FROM_EMAIL="Reviews <noreply@reviews.example.org>",
        ALLAUTH_TRUSTED_PROXY_COUNT="1",
    )
    assert production["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (production["EMAIL_HOST"], production["EMAIL_PORT"]) == ("smtp.example.org", 587)
    assert production["EMAIL_USE_TLS"] is True
    assert production["DEFAULT_FROM_EMAIL"] == "Reviews <noreply@reviews.example.org>"
    assert production["MODERATION_REQUIRE_MFA"] is True
    assert production["HEADLESS_FRONTEND_URLS"]["account_confirm_email"] == (
        "https://reviews.example.org/account/verify-email/{key}"
    )
    assert production["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1
    assert production["REST_FRAMEWORK"]["NUM_PROXIES"] == 1


def test_test_settings_do_not_require_mfa_for_moderators(settings):
    assert settings.MODERATION_REQUIRE_MFA is False
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
