"""Settings shared by every environment.

Everything that differs between machines comes from the environment (django-environ);
`local`, `test` and `production` only choose defaults and tighten what they must.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from corsheaders.defaults import default_headers as default_cors_headers
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# No .env here: the development settings (local, test, bench) read it before importing this
# module; production takes real environment variables only.
# `make run`'s SQLite database, mail, file cache and Celery files. CI's sign-up walk-through
# points it at a scratch directory, so it never touches a developer's var/.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # pg_trgm lookups (reviews.integrity.similarity); harmless on SQLite, where it is unused.
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.usersessions",
    "config.idempotency",
    "events",  # the outbox: below every app of ours, which register consumers in it
    "accounts",
    "models_catalog",
    "reviews",
    "webhooks",  # webhooks and feeds: above reviews, whose events it sends
]

MIDDLEWARE = [
    # First: the request id is on every log record and response (config/middleware.py).
    "config.middleware.RequestIdMiddleware",
    # A request that waited too long for a worker is answered 503 before any work.
    "config.load_shedding.LoadSheddingMiddleware",
    # Every Redis call of a request (throttles, rate limits, cache, publishes after commit)
    # shares one budget, see config/redis_health.py.
    "config.redis_health.RedisBudgetMiddleware",
    # Control characters, over-deep JSON and oversized bodies never reach a view.
    "config.middleware.HostileInputMiddleware",
    # Public reads to the read replica, when one is configured (config/replica.py).
    "config.replica.ReplicaRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware, so a preflight or a redirect answer carries the CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    # Charges the throttles a conditional GET deferred, once its answer is known (a 304 is
    # free); inside CORS, so its 429 carries the CORS headers (config/throttles.py).
    "config.throttles.ThrottleSettleMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Unknown or repeated query parameters and unknown body fields under /api/v1/: 400,
    # judged against the OpenAPI schema (config/strict.py).
    "config.strict.StrictInputMiddleware",
    # Last: each of allauth's writing requests is one transaction, so the outbox row of its
    # mail commits or rolls back with the account it is about (config/middleware.py).
    "config.middleware.AllauthAtomicMiddleware",
]

ROOT_URLCONF = "config.urls"
# JSON errors under /api/ and /_allauth/ (config.views), Django's pages elsewhere.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
# No request body of ours comes near this; a bigger one is a 413 (config.middleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Our versions of allauth's mail templates (accounts/templates/account/email/): DIRS
        # are searched before the apps' folders, and allauth comes before `accounts`.
        "DIRS": [BASE_DIR / "accounts" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True


def replica_add(databases: dict) -> list[str]:
    """Add the `replica` alias when REPLICA_DATABASE_URL is set, and return the routers to
    install (none without a replica: every query on `default`). See config/replica.py."""
    url = env("REPLICA_DATABASE_URL", default="")
    if not url:
        return []
    replica = env.db_url_config(url)
    replica["CONN_MAX_AGE"] = databases["default"].get("CONN_MAX_AGE", 0)
    replica["CONN_HEALTH_CHECKS"] = True
    # An unreachable replica costs a request at most this long, then is taken out of use.
    replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 1)
    # Tests of a process that has a replica alias read the test database through it.
    replica["TEST"] = {"MIRROR": "default"}
    databases["replica"] = replica
    return ["config.replica.PrimaryReplicaRouter"]


DATABASE_ROUTERS = replica_add(DATABASES)
# Reads go to the primary when the replica is further behind than this, or unreachable; its
# lag is measured by each process at most this often (an unreachable one retried after
# REPLICA_RETRY_SECONDS). A client that wrote reads the primary for REPLICA_PIN_SECONDS (at
# least the largest tolerated lag plus one check, see config.replica.pin_seconds).
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=1.0)
REPLICA_RETRY_SECONDS = env.float("REPLICA_RETRY_SECONDS", default=5.0)
REPLICA_PIN_SECONDS = env.float("REPLICA_PIN_SECONDS", default=10.0)
# Requests whose safe reads may use the replica (public API and feeds; never the admin or
# allauth's routes).
REPLICA_READ_PREFIXES: list[str] = env.list("REPLICA_READ_PREFIXES", default=["/api/", "/feeds/"])

# Sessions (and allauth's app session tokens) read from the shared cache, written to the
# database too (config/sessions.py); a cached copy lives at most this long.
SESSION_ENGINE = "config.sessions"
SESSION_CACHE_SECONDS = env.int("SESSION_CACHE_SECONDS", default=600)

# Load shedding (config/load_shedding.py): a request that waited longer than this for a
# worker, by the proxy's X-Request-Start, is answered 503 at once (0: never).
LOAD_SHED_MAX_QUEUE_SECONDS = env.float("LOAD_SHED_MAX_QUEUE_SECONDS", default=2.0)
LOAD_SHED_RETRY_AFTER_SECONDS = env.int("LOAD_SHED_RETRY_AFTER_SECONDS", default=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # The admin's own login form (username + password).
    "django.contrib.auth.backends.ModelBackend",
    # Everything else: email + password through allauth's headless API.
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


# allauth's rate-limit counters live here, so every server process must share this cache
# (Redis in test and production; a file cache on one developer machine).
def cache_from_env(var: str, default: str) -> dict:
    """The cache named by an environment variable. A Redis cache gets short socket timeouts:
    Redis that accepts connections but never answers (frozen, partitioned) must slow a
    request by at most about a second, never hang it (throttles and the rating cache fall
    back when the cache fails)."""
    config = env.cache(var, default=default)
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        config["BACKEND"] = "config.cache.ReusingRedisCache"  # see config/cache.py
        timeouts = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        config["OPTIONS"] = {**timeouts, **config.get("OPTIONS", {})}
    return config


CACHES = {"default": cache_from_env("CACHE_URL", default="locmemcache://")}
# After a Redis connection error or timeout, calls skip that server for this long (then one
# probe call decides): an outage costs one timeout per process and period, not one per call.
REDIS_CIRCUIT_OPEN_SECONDS = env.float("REDIS_CIRCUIT_OPEN_SECONDS", default=5.0)

# Number of proxies we control in front of the app. Only then is X-Forwarded-For believed
# (its last N entries were written by our proxies); with 0 it is ignored, because any client
# can send one and would pick the IP that rate limits count against.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
# ...and only from a peer in these networks (our proxies). A request from anywhere else is
# counted against its own address, whatever X-Forwarded-For it sends (config.throttles).
TRUSTED_PROXIES: list[str] = env.list("TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])
# How long a process remembers an API key lookup (X-Api-Key): a warm read runs no query; a
# revocation reaches the other processes within this time (the revoking one at once).
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", default=10.0)
# Anonymous GET/HEAD of the public document views skip most of DRF's dispatch
# (config/fast_reads.py). Off: every request goes through DRF (the same answers, slower).
PUBLIC_READS_FAST_PATH = env.bool("PUBLIC_READS_FAST_PATH", default=True)

# --- CORS (django-cors-headers) ----------------------------------------------------------
# Frontends on other origins call the API and allauth's headless routes. Only the origins
# listed in the environment are allowed (none by default: same-origin only), and only they
# get `Access-Control-Allow-Credentials` (the header is never sent to an unlisted origin).
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/(api|_allauth)/"
# `app` clients send their session token in this header (see accounts.authentication).
CORS_ALLOW_HEADERS = (*default_cors_headers, "x-session-token")
# Response headers a script on another origin may read: caching, the created resource,
# when to retry after a 429 or 503.
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Location", "Retry-After"]
CORS_PREFLIGHT_MAX_AGE = 3600
# A browser client on a listed origin posts with the CSRF token; Django must trust its origin.
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=CORS_ALLOWED_ORIGINS)

# --- Django REST framework -------------------------------------------------------------
REST_FRAMEWORK = {
    # `app` clients (X-Session-Token) and `browser` clients (session cookie + CSRF), both
    # issued by allauth's headless API under /_allauth/.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # OPTIONS outside a CORS preflight (which django-cors-headers answers before any view) is
    # a 405: DRF's metadata would describe a view's serializers, and failed with a 500 on
    # views whose serializer is chosen per method (found by schemathesis).
    "DEFAULT_METADATA_CLASS": None,
    # Sliding-window counters per address, account or API key, one Redis round trip each,
    # letting requests through while the cache is down (config/throttles.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttles.AnonRateThrottle",
        "config.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="600/min"),
        "user": env("THROTTLE_USER", default="1200/min"),
        # DELETE /api/v1/me/ checks a password: bound the guesses a stolen session gets.
        "account_erase": env("THROTTLE_ACCOUNT_ERASE", default="10/hour"),
        # Per account (reviews.api.throttles): posting reviews, helpful votes, reports.
        "review_create": env("THROTTLE_REVIEW_CREATE", default="10/day"),
        "review_edit": env("THROTTLE_REVIEW_EDIT", default="30/day"),
        "review_vote": env("THROTTLE_REVIEW_VOTE", default="120/hour"),
        "review_report": env("THROTTLE_REVIEW_REPORT", default="20/day"),
        # Provider replies (write, edit, delete), per account.
        "review_reply": env("THROTTLE_REVIEW_REPLY", default="60/day"),
        # Claimed provider profile proposals, per account (models_catalog.api).
        "provider_profile": env("THROTTLE_PROVIDER_PROFILE", default="30/day"),
    },
    # Same trust rule as allauth's: None would make DRF believe any X-Forwarded-For. (Our
    # throttles use config.throttles.client_address, which also checks the peer.)
    "NUM_PROXIES": ALLAUTH_TRUSTED_PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AI model reviews API",
    "DESCRIPTION": (
        "Catalog of AI models (providers, prices per 1M tokens, metrics with sources and dates, "
        "ranks, cost calculator) and community reviews with verified ratings.\n\n"
        "Accounts (sign-up, email verification, login, reauthentication, TOTP, password "
        "change and reset) are django-allauth's headless API under `/_allauth/{client}/v1/`: "
        "its offered routes are part of this schema, and allauth's own specification is at "
        "[/_allauth/openapi.json](/_allauth/openapi.json). `app` clients send the session "
        "token allauth returns (`meta.session_token`, a new one after email verification) "
        "as `X-Session-Token`; `browser` clients use the session cookie and CSRF.\n\n"
        "Rate limits: per client address for anonymous requests, per account when signed "
        "in; server-side frontends and partners send an API key (issued by staff) as "
        "`X-Api-Key` and are limited at the key's own rate (an unknown key is 401 "
        "`api_key_invalid`, a revoked one 401 `api_key_revoked`). Over a limit: 429 "
        "`throttled` with `Retry-After`. A 304 answer is never counted.\n\n"
        "Any request may be answered `503` with the error code `overloaded` and a "
        "`Retry-After` header (seconds) when the service sheds load: retry after that delay."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Docs must work offline: the Swagger UI assets come from the sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every closed set is one named enum, named for what it is (not after the first field or
    # serializer spectacular met it in), so generated clients keep their type names when a
    # field is added or renamed (issue 15). tests/test_contract.py checks none is unnamed.
    "ENUM_NAME_OVERRIDES": {
        "LifecycleEnum": "models_catalog.models.Lifecycle",
        "DirectionEnum": "models_catalog.models.Direction",
        "SourceEnum": "models_catalog.models.Source",
        "RouteKindEnum": "models_catalog.models.RouteKind",
        "ProviderProfileEditStateEnum": "models_catalog.models.ProviderProfileEdit.State",
        "RankCategoryEnum": "models_catalog.selectors.CATEGORIES",
        "PriceTierEnum": ["budget", "mid-priced", "premium"],
        "ReviewStatusEnum": "reviews.models.ReviewStatus",
        "ReplyStatusEnum": "reviews.models.ReplyStatus",
        "ReportStateEnum": "reviews.models.Report.State",
        "ReportReasonEnum": "reviews.models.ReportReason",
        "ModerationActionEnum": "reviews.models.ModerationAction",
        "UseCaseEnum": "reviews.models.UseCase",
        "UsageChannelEnum": "reviews.models.UsageChannel",
        "IntegrityFlagKindEnum": "reviews.models.IntegrityFlag.Kind",
        "SurgeStateEnum": "reviews.models.ModelSurge.State",
        "SurgeKindEnum": "reviews.models.SurgeKind",
        "AccountAgeEnum": "reviews.integrity.standing.AGE_BUCKETS",
        "WaitingForEnum": "reviews.selectors.WAITING_REASONS",
        "HighlightBasisEnum": ["use_case_rating", "tag_count"],
        "HighlightGroupingEnum": "reviews.ratings.highlights.GROUPING_METHODS",
        "WebhookEventTypeEnum": "webhooks.models.WebhookEventType",
        "SubscribableEventTypeEnum": "webhooks.api.serializers.SUBSCRIBABLE",
        "WebhookDeliveryStateEnum": "webhooks.models.WebhookDelivery.State",
        "RoleEnum": "accounts.models.Role",
        "CostPartEnum": ["input", "cached_input", "output"],
        "MfaTypeEnum": ["totp", "recovery_codes"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # allauth's headless API (sign-up, login, verification, MFA) joins ours: one client.
        "accounts.openapi.merge_allauth_spec",
        # Every error status of every operation, with the one error body.
        "config.openapi.document_error_responses",
    ],
    "EXTERNAL_DOCS": {
        "description": "allauth's own specification of its headless API (also merged here)",
        "url": "/_allauth/openapi.json",
    },
}

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing must never hang a request when the broker is down: publishes from requests are
# one attempt through the broker's circuit (config.tasks.PublishSafeTask, retry=False; the
# database keeps the record and periodic sweeps pick it up). The policy below only covers
# publishes from the worker (a task's own retry). The transports take their socket timeouts
# from CELERY_BROKER_TRANSPORT_OPTIONS (celery_broker_settings below); this one covers connecting.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
# The worker survives the broker's trouble instead of exiting for good. A full Redis answers
# OOM (a channel error, e.g. while acknowledging): without this Celery calls it unrecoverable
# and the worker ends; with it the consumer reconnects like after a connection loss, and the
# task whose ack failed is redelivered (recomputes are idempotent). Reconnect forever: the
# supervisor (Procfile / deploy/) restarts a worker that exits anyway.
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# On a lost connection, stop the acks_late tasks running: they are redelivered anyway, and
# running them twice at once helps nobody (Celery 5.x's recommended setting).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Periodic work of the rating pipeline (reviews.tasks); `expires` drops a tick that waited
# longer than its period, so missed ticks never pile up behind a stopped worker.
# The sweeps' period (seconds); the fleet tests shorten it to see a recovery within the test.
SWEEP_SECONDS = env.float("SWEEP_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE: dict = {
    "rating-sweep": {
        "task": "reviews.tasks.rating_sweep_task",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS * 5 / 6},
    },
    "idempotency-key-sweep": {
        "task": "config.idempotency.tasks.idempotency_key_sweep_task",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "rating-refresh": {
        "task": "reviews.tasks.rating_refresh_task",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600},
    },
    # The running rating sums against a full scan of the reviews (reviews.ratings.sums).
    "rating-sums-verify": {
        "task": "reviews.tasks.rating_sums_verify_task",
        "schedule": crontab(hour=3, minute=47),
        "options": {"expires": 3600},
    },
    # Integrity scans still due after INTEGRITY_SCAN_SWEEP_AFTER (reviews.integrity.scan).
    "integrity-scan-sweep": {
        "task": "reviews.tasks.integrity_scan_sweep_task",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS * 5 / 6},
    },
    # Provider reply rate and median time to reply (reviews.services.reply_stats).
    "reply-stats-refresh": {
        "task": "reviews.tasks.reply_stats_refresh_task",
        "schedule": crontab(minute=41),
        "options": {"expires": 3000},
    },
    # The outbox (events.services): re-publish deliveries that are due and not done.
    "outbox-sweep": {
        "task": "events.tasks.delivery_sweep_task",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS * 5 / 6},
    },
    # Webhooks (webhooks.services): the same for deliveries to subscribed endpoints.
    "webhook-sweep": {
        "task": "webhooks.tasks.webhook_sweep_task",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS * 5 / 6},
    },
    # Retention (OUTBOX_RETENTION_* below): finished deliveries and old events deleted.
    "outbox-prune": {
        "task": "events.tasks.outbox_prune_task",
        "schedule": crontab(minute=23),
        "options": {"expires": 3000},
    },
    "webhook-prune": {
        "task": "webhooks.tasks.webhook_prune_task",
        "schedule": crontab(minute=19),
        "options": {"expires": 3000},
    },
}
# Worker pools per queue (Procfile, deploy/supervisord.conf), each with its own concurrency:
# `ratings` alone, so a backlog of mail or webhooks never delays a rating
# (tests/fleet/test_worker_pools.py); `mail` and `webhooks` (notifications, I/O-bound: more
# processes); `maintenance` (the periodic sweeps, each run at most once at a time whatever
# the number of beats: config.locks.single_run) and `default`. `make run`'s one worker
# consumes all.
CELERY_TASK_DEFAULT_QUEUE = "default"
# default, mail, ratings (the rating pipeline of the reviews app), maintenance (short periodic
# sweeps, their own worker pool), webhooks (POSTs to integrators' endpoints: slow ones delay
# nothing else). Declared per broker by celery_broker_settings() below.
CELERY_QUEUE_NAMES = ("default", "mail", "ratings", "maintenance", "webhooks")
CELERY_TASK_ROUTES = {
    # Outbox deliveries are notifications today (allauth's mail, the outcome and reply mails).
    "events.tasks.delivery_task": {"queue": "mail"},
    "events.tasks.delivery_sweep_task": {"queue": "maintenance"},
    "webhooks.tasks.webhook_delivery_task": {"queue": "webhooks"},
    "webhooks.tasks.webhook_sweep_task": {"queue": "maintenance"},
    "events.tasks.outbox_prune_task": {"queue": "maintenance"},
    "webhooks.tasks.webhook_prune_task": {"queue": "maintenance"},
    "reviews.tasks.rating_recompute_task": {"queue": "ratings"},
    "reviews.tasks.rating_sweep_task": {"queue": "maintenance"},
    "config.idempotency.tasks.idempotency_key_sweep_task": {"queue": "maintenance"},
    "reviews.tasks.rating_refresh_task": {"queue": "ratings"},
    "reviews.tasks.rating_sums_verify_task": {"queue": "maintenance"},
    "reviews.tasks.review_highlights_refresh_task": {"queue": "ratings"},
    "reviews.tasks.reply_stats_refresh_task": {"queue": "maintenance"},
    # One per new text up for moderation: event-driven work, not a periodic sweep (so not in
    # `maintenance`, whose sweeps a burst of reviews would queue behind), and not the rating
    # pipeline (whose pool stays alone). `default` is consumed by the maintenance worker today
    # and can get a pool of its own; a scan is bounded (INTEGRITY_SIMILARITY_MAX_CANDIDATES):
    # a few ms on a small model, 0.15-0.25 s on the 1M-review bench's largest.
    "reviews.tasks.review_integrity_scan_task": {"queue": "default"},
    "reviews.tasks.integrity_scan_sweep_task": {"queue": "maintenance"},
}


# --- The broker: Redis (small setups, the tests' default) or RabbitMQ (production) -------------
AMQP_SCHEMES = ("amqp", "amqps", "pyamqp")
REDIS_BROKER_TRANSPORT_OPTIONS: dict = {
    "visibility_timeout": 3600,
    # Without these a publish waits forever on a broker that accepts connections but never
    # answers. 1 s: one publish of a request waits at most that; the worker's consumer reads
    # its BRPOP (a 1 s wait) only once the socket is readable, in its event loop.
    "socket_connect_timeout": 0.5,
    "socket_timeout": 1,
    # kombu's `default_channel` otherwise retries a refused connection (2 s sleeps) before a
    # publish even starts; the worker's own reconnect loop takes its arguments explicitly
    # (broker_connection_retry / _max_retries), so this only makes publishes one attempt.
    "max_retries": 0,
}
AMQP_BROKER_TRANSPORT_OPTIONS: dict = {
    # Publisher confirms: a publish returns only once RabbitMQ has taken the message (for a
    # quorum queue: written to a majority of its replicas); a refusal raises, so the stale
    # mark or outbox row stays for the sweep instead of the message being silently dropped.
    "confirm_publish": True,
    # py-amqp's socket timeouts: a RabbitMQ that accepts connections but never answers slows
    # a publish by at most this much (the Redis transport's socket_timeout above).
    "read_timeout": 2,
    "write_timeout": 2,
    "max_retries": 0,  # as for Redis: one attempt on the request path
}


def broker_is_amqp(url: str) -> bool:
    return url.split("://", 1)[0].lower() in AMQP_SCHEMES


def celery_broker_settings(url: str) -> dict:
    """The CELERY_ settings that depend on the broker `url` (each settings module that sets
    CELERY_BROKER_URL applies them: `globals().update(celery_broker_settings(url))`).

    RabbitMQ: every queue durable and of type quorum (replicated, survives a broker restart
    with its messages), on a topic exchange of its own name: Celery's native delayed delivery,
    which carries countdowns (the rating debounce, retries) on quorum queues, cannot route
    through direct exchanges. Quorum queues refuse global QoS; Celery (>= 5.5) detects them
    (worker_detect_quorum_queues) and applies prefetch per consumer, so prefetch 1 holds.
    Redis (and the filesystem broker of `make run`): plain queues, the visibility timeout."""
    if not broker_is_amqp(url):
        return {
            "CELERY_TASK_QUEUES": tuple(Queue(name) for name in CELERY_QUEUE_NAMES),
            "CELERY_BROKER_TRANSPORT_OPTIONS": dict(REDIS_BROKER_TRANSPORT_OPTIONS),
        }
    quorum = {"x-queue-type": "quorum"}
    queues = tuple(
        Queue(name, Exchange(name, type="topic"), routing_key=name, durable=True,
              queue_arguments=quorum)
        for name in CELERY_QUEUE_NAMES
    )  # fmt: skip
    return {
        "CELERY_TASK_QUEUES": queues,
        "CELERY_BROKER_TRANSPORT_OPTIONS": dict(AMQP_BROKER_TRANSPORT_OPTIONS),
        "CELERY_WORKER_DETECT_QUORUM_QUEUES": True,
        "CELERY_TASK_DEFAULT_QUEUE_TYPE": "quorum",
        "CELERY_BROKER_NATIVE_DELAYED_DELIVERY_QUEUE_TYPE": "quorum",
        # Messages survive a broker restart (the default; said here because it is the point).
        "CELERY_TASK_DEFAULT_DELIVERY_MODE": "persistent",
    }


CELERY_TASK_QUEUES: tuple = ()
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
globals().update(celery_broker_settings(CELERY_BROKER_URL))

# --- Outbox (events) -------------------------------------------------------------------
# A failed delivery is retried after BASE, 2·BASE, 4·BASE, ... seconds (capped at MAX, with
# jitter), then marked failed: with the defaults, 8 attempts over 30 to 60 minutes.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
# How long a claim lasts: above the delivery task's hard time limit (90 s), so only a worker
# that died loses its claim to the sweep.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# The sweep leaves rows alone this long after they are due: their own message is on its way.
OUTBOX_SWEEP_AFTER = env.int("OUTBOX_SWEEP_AFTER", default=30)
# Retention (beat, hourly: events.tasks.outbox_prune_task, webhooks.tasks.webhook_prune_task).
# Delivered rows (outbox and webhook deliveries) go after OUTBOX_RETENTION_DAYS; failed ones
# stay longer, for staff and webhook owners to look into and redeliver; an event goes once
# nothing refers to it and it is older than OUTBOX_EVENT_RETENTION_DAYS (the rating-change
# feed reads events: it shows what changed within that window). Open rows are never pruned.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)
OUTBOX_FAILED_RETENTION_DAYS = env.int("OUTBOX_FAILED_RETENTION_DAYS", default=180)
OUTBOX_EVENT_RETENTION_DAYS = env.int("OUTBOX_EVENT_RETENTION_DAYS", default=90)

# --- Webhooks (webhooks app) -------------------------------------------------------------
# A failed delivery is retried after BASE, 2·BASE, ... seconds (capped at MAX, jittered):
# with the defaults, 13 attempts over 13 to 27 hours; then it fails for good and the
# subscription is disabled (its owner is mailed).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=13)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=60.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600.0)
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=300)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=5.0)
WEBHOOK_EXCERPT_CHARS = 500  # of an endpoint's answer, kept for its owner; never more
# SSRF guard (webhooks.net): endpoints must resolve to public addresses and use HTTPS.
# Production settings fix both; `make run` and the tests relax them for loopback receivers.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=True)

# --- Mail ------------------------------------------------------------------------------
# Sent by the Celery worker from the outbox (events app; accounts.mail), never inside a
# request.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="AI model reviews <noreply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Django waits forever on a silent SMTP server by default; the task retries instead.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Accounts (django-allauth, headless) -------------------------------------------------
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
# Plus an optional `display_name`: the name mail addresses the person by from the first one.
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Verifying the key in the same session (or app session token) that signed up logs in.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell people when a password or MFA setting changes
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[AI model reviews] "
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Sensitive account changes ask the signed-in person to confirm it is them, by password or,
# once they enabled it, by TOTP. Not by a code mailed to them: login by code is off, and
# a flow offered must be one a frontend implements (README, "Flows a frontend handles").
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
# How mail and allauth's user payload name a person: the name they chose, never the
# generated username (accounts.adapter.user_display).
ACCOUNT_USER_DISPLAY = "accounts.adapter.user_display"
# Counters live in the default cache (shared across processes). "5/5m/key" on
# login_failed: the sixth failed login for one account within 5 minutes is refused
# (`too_many_login_attempts`), whichever process or IP it comes from.
ACCOUNT_RATE_LIMITS = {
    "signup": "20/m/ip,100/h/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    # At most 3 password-reset mails an hour to one address (the key is the address).
    "reset_password": "20/m/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}

# Headless, except allauth's sign-in pages that the admin's sign-in uses (config/urls.py).
HEADLESS_ONLY = True
# The admin redirects to LOGIN_URL (allauth's sign-in page) and gets the person back via
# `next`; without one they land on the admin.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/admin/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
HEADLESS_CLIENTS = ("browser", "app")
# allauth's own OpenAPI specification of its headless API, at /_allauth/openapi.json (and
# .yaml), linked from our schema and docs. Its HTML page loads Redoc from a CDN: not served
# (our docs work offline; /api/docs/ shows both specifications).
HEADLESS_SERVE_SPECIFICATION = True
HEADLESS_SPECIFICATION_TEMPLATE_NAME = None
# Links in mail point at the frontend, which calls the headless API with the key.
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
# Scheme and host of this API as clients reach it: the origin of the absolute links in bodies
# rendered outside a request (webhook payloads). Answers to requests link on their own origin.
API_ORIGIN = env("API_ORIGIN", default="http://localhost:8000").rstrip("/")


def headless_frontend_urls(frontend_url: str) -> dict[str, str]:
    return {
        "account_confirm_email": f"{frontend_url}/account/verify-email/{{key}}",
        "account_reset_password": f"{frontend_url}/account/password/reset",
        "account_reset_password_from_key": f"{frontend_url}/account/password/reset/key/{{key}}",
        "account_signup": f"{frontend_url}/account/signup",
    }


HEADLESS_FRONTEND_URLS = headless_frontend_urls(FRONTEND_URL)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "AI model reviews"
# The moderation API refuses moderators without MFA when this is on (production default).
MODERATION_REQUIRE_MFA = env.bool("MODERATION_REQUIRE_MFA", default=False)

# --- Logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.log.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Idempotency keys (config.idempotency) ---------------------------------------------
# How long a stored answer is replayed for its key, and how long a claim whose request never
# answered (its process died) blocks a retry with 409.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
IDEMPOTENCY_IN_FLIGHT_SECONDS = env.int("IDEMPOTENCY_IN_FLIGHT_SECONDS", default=60)

# --- Catalog ---------------------------------------------------------------------------
# Largest page a list endpoint serves; bounded so one request cannot ask for the world.
API_MAX_PAGE_SIZE = 100
API_DEFAULT_PAGE_SIZE = 25

# --- Reviews ---------------------------------------------------------------------------
# Open reports from this many distinct accounts put a published review back in the
# moderation queue (it stays public until a moderator decides).
REVIEW_REPORTS_TO_REQUEUE = env.int("REVIEW_REPORTS_TO_REQUEUE", default=3)

# --- Rating integrity (reviews.integrity; README "Rating integrity", the methodology) -------
# Reporter standing: an account at least this many days old, with a published review or an
# upheld report, and no more dismissed reports than upheld ones.
INTEGRITY_STANDING_MIN_ACCOUNT_DAYS = env.int("INTEGRITY_STANDING_MIN_ACCOUNT_DAYS", default=30)
# Open reports from this many distinct reporters with standing hide a review at once (a
# trusted flagger's urgent report does it alone).
INTEGRITY_REPORTERS_TO_HIDE = env.int("INTEGRITY_REPORTERS_TO_HIDE", default=3)
# Surges: events of one model in the last WINDOW seconds against its own rate over the
# BASELINE_DAYS before; a surge is at least MULTIPLIER x the baseline and at least the floor.
INTEGRITY_SURGE_WINDOW_SECONDS = env.int("INTEGRITY_SURGE_WINDOW_SECONDS", default=3600)
INTEGRITY_SURGE_BASELINE_DAYS = env.int("INTEGRITY_SURGE_BASELINE_DAYS", default=30)
INTEGRITY_SURGE_MULTIPLIER = env.float("INTEGRITY_SURGE_MULTIPLIER", default=5.0)
INTEGRITY_SURGE_MIN_REVIEWS = env.int("INTEGRITY_SURGE_MIN_REVIEWS", default=10)
INTEGRITY_SURGE_MIN_NEW_ACCOUNT_REVIEWS = env.int(
    "INTEGRITY_SURGE_MIN_NEW_ACCOUNT_REVIEWS", default=6
)
INTEGRITY_SURGE_MIN_REPORTS = env.int("INTEGRITY_SURGE_MIN_REPORTS", default=15)
# An account younger than this is "new" for surges and the ring signal.
INTEGRITY_NEW_ACCOUNT_DAYS = env.int("INTEGRITY_NEW_ACCOUNT_DAYS", default=30)
# Near-duplicates: pg_trgm similarity at or above this, against the model's reviews of the
# last LOOKBACK_DAYS and the author's other reviews.
INTEGRITY_SIMILARITY_THRESHOLD = env.float("INTEGRITY_SIMILARITY_THRESHOLD", default=0.6)
INTEGRITY_SIMILARITY_LOOKBACK_DAYS = env.int("INTEGRITY_SIMILARITY_LOOKBACK_DAYS", default=90)
# The scan's bound, whatever the data: it compares the new text with at most this many of the
# model's most recent reviews within the lookback, plus at most this many of the author's.
# pg_trgm's similarity() costs about 0.1-0.2 ms per review body (its trigrams are extracted
# on each call): 1,000 candidates, 0.12-0.14 s of one worker's database time per scan.
INTEGRITY_SIMILARITY_MAX_CANDIDATES = env.int("INTEGRITY_SIMILARITY_MAX_CANDIDATES", default=1000)
# The near-duplicate and ring scan runs after commit (reviews.integrity.scan); a review still
# due a scan this many seconds after it was marked (a lost message) is re-published by the
# sweep.
INTEGRITY_SCAN_SWEEP_AFTER = env.float("INTEGRITY_SCAN_SWEEP_AFTER", default=30.0)
# Ring: at least this many accounts, created within RING_JOINED_SECONDS of each other,
# reviewing the same model.
INTEGRITY_RING_MIN_ACCOUNTS = env.int("INTEGRITY_RING_MIN_ACCOUNTS", default=3)
INTEGRITY_RING_JOINED_SECONDS = env.int("INTEGRITY_RING_JOINED_SECONDS", default=3600)

# --- Ratings (reviews.ratings; the methodology endpoint publishes these) -------------------
# Prior weight C of the Bayesian average (C·m + Σr) / (C + n): how many "average" reviews a
# model starts with. m, the site-wide mean, is refreshed daily (RatingPrior).
RATING_PRIOR_WEIGHT = env.float("RATING_PRIOR_WEIGHT", default=7.0)
# Half-life of a review's weight in the recent score (at least 30 days, see reviews.scoring).
RATING_HALF_LIFE_DAYS = env.float("RATING_HALF_LIFE_DAYS", default=365.0)
# z of the Dirichlet lower bound (1.65: one-sided 95 %).
RATING_Z = env.float("RATING_Z", default=1.65)
# Stored with every summary; bump it when a formula or a parameter above changes, then run
# `manage.py recompute_ratings` (its --check lists summaries of another version).
RATING_METHOD_VERSION = env("RATING_METHOD_VERSION", default="1")
# A model is ranked for a use case (`ranks/`: "1 of 12 models for coding") only with at least
# this many counted reviews tagged with that use case.
RATING_USE_CASE_MIN_REVIEWS = env.int("RATING_USE_CASE_MIN_REVIEWS", default=5)
# The beat sweep re-enqueues models whose rating has been stale longer than this (seconds):
# long enough for the fast path (debounce + recompute) to have finished.
RATING_STALE_SWEEP_AFTER = env.float("RATING_STALE_SWEEP_AFTER", default=30.0)
# Changes to one model within this many seconds share one recompute (burst coalescing: a
# burst of N seconds costs about N / this recomputes), and a change shows in the rating
# about this long after its commit. Whole seconds: the cache's timeouts are.
RATING_DEBOUNCE_SECONDS = env.int("RATING_DEBOUNCE_SECONDS", default=1)
# While changes to a model keep arriving faster than that (a burst), its window grows to
# this: an isolated change still shows after ~1 s, a sustained burst costs one recompute
# per this many seconds.
RATING_BURST_DEBOUNCE_SECONDS = env.int("RATING_BURST_DEBOUNCE_SECONDS", default=3)

# --- What reviewers say (reviews.ratings.highlights; the methodology endpoint shows these) --
# Strengths, limitations and best-for are drawn only for a model with at least this many
# counted reviews; a group of similar pros or cons is shown once this many reviews cite it.
REVIEW_HIGHLIGHTS_MIN_REVIEWS = env.int("REVIEW_HIGHLIGHTS_MIN_REVIEWS", default=3)
REVIEW_HIGHLIGHTS_MIN_CITATIONS = env.int("REVIEW_HIGHLIGHTS_MIN_CITATIONS", default=2)
# Trigram similarity (pg_trgm's measure) at which a phrase joins a group.
REVIEW_HIGHLIGHTS_SIMILARITY = env.float("REVIEW_HIGHLIGHTS_SIMILARITY", default=0.45)
REVIEW_HIGHLIGHTS_MAX_POINTS = env.int("REVIEW_HIGHLIGHTS_MAX_POINTS", default=5)
# The newest counted reviews read per model: bounds the work of a model with many reviews.
REVIEW_HIGHLIGHTS_MAX_REVIEWS = env.int("REVIEW_HIGHLIGHTS_MAX_REVIEWS", default=1000)
