"""Production: secrets and addresses come from the environment, or the process refuses to start."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CORS_ALLOWED_ORIGINS,
    cache_from_env,
    env,
    headless_frontend_urls,
    replica_add,
)


def _required(name: str) -> str:
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment for production settings "
            f"(see README.md, 'Production')."
        )
    return value


DEBUG = False
SECRET_KEY = _required("SECRET_KEY")
_required("ALLOWED_HOSTS")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
_required("DATABASE_URL")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = replica_add(DATABASES)  # REPLICA_DATABASE_URL, see config/replica.py

CACHES = {"default": cache_from_env("CACHE_URL", default="rediscache://127.0.0.1:6379/1")}

# HTTPS everywhere; the load balancer terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=CORS_ALLOWED_ORIGINS)
X_FRAME_OPTIONS = "DENY"

# Mail: EMAIL_URL such as smtp+tls://user:password@smtp.example.org:587 (django-environ);
# without it, a mail relay on this host. DEFAULT_FROM_EMAIL comes from base (environment).
globals().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
# Links in verification and reset mail; the SPA is served on the first allowed host
# unless said otherwise.
FRONTEND_URL = env("FRONTEND_URL", default=f"https://{ALLOWED_HOSTS[0]}").rstrip("/")
HEADLESS_FRONTEND_URLS = headless_frontend_urls(FRONTEND_URL)
# The origin of absolute links in webhook payloads: the API on the first allowed host.
API_ORIGIN = env("API_ORIGIN", default=f"https://{ALLOWED_HOSTS[0]}").rstrip("/")
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# Moderators must have enabled MFA (TOTP) before the moderation API serves them.
MODERATION_REQUIRE_MFA = env.bool("MODERATION_REQUIRE_MFA", default=True)

# Webhooks call only public HTTPS endpoints (SSRF guard, webhooks.net): not configurable here.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
WEBHOOK_REQUIRE_HTTPS = True
