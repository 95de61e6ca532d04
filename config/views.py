"""Process health (`/healthz`) and readiness (`/readyz`) for load balancers and orchestrators."""

import logging

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.api import error_body
from config.celery import app as celery_app
from config.middleware import is_json_path, request_id_get
from config.replica import replica_configured, replica_status

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


def _database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any driver error means "not ready"; the log says which
        logger.exception("readyz: database unreachable")
        return False


def _broker_ready() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.exception("readyz: broker unreachable")
        return False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 naming what does not.

    With a read replica configured, its state and lag are reported too, but never make this
    process unready: a lagging or unreachable replica is out of use and reads go to the
    primary (config.replica), so taking every web process out of the balancer would only
    turn a slower service into none."""
    checks = {"database": _database_ready(), "broker": _broker_ready()}
    ready = all(checks.values())
    body: dict[str, object] = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    if replica_configured():
        status = replica_status(max_age=0)  # measured now; the router uses it too
        body["checks"]["replica"] = status.state  # type: ignore[index]
        body["replica_lag_seconds"] = (
            None if status.lag_seconds is None else round(status.lag_seconds, 3)
        )
    return JsonResponse(body, status=200 if ready else 503)


# --- Error pages -------------------------------------------------------------------------
# Under /api/ and /_allauth/ every error is our JSON error body (clients parse it; an HTML
# page would break them); elsewhere (the admin, allauth's sign-in pages) Django's own pages.


def _json_error(status: int, code: str, message: str, **extra: str) -> JsonResponse:
    return JsonResponse({**error_body(code, message), **extra}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_json_path(request.path):
        return _json_error(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_json_path(request.path):
        return _json_error(403, "permission_denied", "You may not do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_json_path(request.path):
        return _json_error(404, "not_found", "No such resource.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The body names the request id, which is also on the logged traceback."""
    if is_json_path(request.path):
        request_id = request_id_get(request)
        message = f"Something went wrong on our side; quote request id {request_id}."
        return _json_error(500, "server_error", message, request_id=request_id)
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_json_path(request.path):
        return _json_error(403, "csrf_failed", f"CSRF check failed: {reason}")
    return csrf.csrf_failure(request, reason)


def unknown_route(request: HttpRequest, path: str = "") -> HttpResponse:
    """The last URL pattern under /api/ and /_allauth/: a JSON 404 even with DEBUG on."""
    return page_not_found(request, Http404())
