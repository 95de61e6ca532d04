"""Shed load early: a request that waited too long for a worker is answered 503 at once.

At saturation a sync gunicorn worker takes requests from a queue (the proxy's and the
listen backlog); a request that already waited seconds there is likely abandoned by its
client, and serving it makes every request behind it wait longer. The front proxy stamps
each request with the time it arrived (`X-Request-Start: t=<seconds since the epoch>`, see
README "Deployment"); when a worker picks up a request whose wait exceeds
LOAD_SHED_MAX_QUEUE_SECONDS it answers our JSON error `overloaded` with `Retry-After`
instead of doing the work, which costs nothing but the answer.

Without the header (`make run`, tests, a proxy that does not set it) nothing is shed. A
client may forge the header: it can only get itself a 503 (a time in the future counts as
no wait). The health endpoints are never shed: a load balancer must still see the process.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api import error_body

logger = logging.getLogger(__name__)
NEVER_SHED = ("/healthz", "/readyz")


def request_start(header: str) -> float | None:
    """Seconds since the epoch from `t=1700000000.123` (nginx's $msec) or the integer
    milliseconds or microseconds other proxies send; None when unreadable."""
    text = header.strip().removeprefix("t=")
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value <= 0:  # NaN, zero, negative
        return None
    if value > 1e14:  # microseconds
        return value / 1e6
    if value > 1e11:  # milliseconds
        return value / 1e3
    return value


def queue_wait(request: HttpRequest, now: float | None = None) -> float | None:
    header = request.META.get("HTTP_X_REQUEST_START")
    if not header:
        return None
    started = request_start(header)
    if started is None:
        return None
    return max(0.0, (time.time() if now is None else now) - started)


class LoadSheddingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.LOAD_SHED_MAX_QUEUE_SECONDS
        if limit > 0 and request.path not in NEVER_SHED:
            waited = queue_wait(request)
            if waited is not None and waited > limit:
                return self._shed(waited)
        return self.get_response(request)

    @staticmethod
    def _shed(waited: float) -> HttpResponse:
        logger.warning("shed a request that waited %.2f s for a worker", waited)
        body = error_body("overloaded", "The service is overloaded; retry shortly.")
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(settings.LOAD_SHED_RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
