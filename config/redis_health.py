"""Whether a Redis server is worth calling: one circuit breaker per server, one budget per request.

Every call on the request path that can reach Redis (the cache backend, hence throttles,
allauth's rate limits, the rating cache and the debounce keys; and task publishing) asks the
circuit of its server first. After a connection error or a timeout the circuit opens for
REDIS_CIRCUIT_OPEN_SECONDS: calls skip that server at once (the callers fail open: the
database is the record, the sweeps catch up). When the period is over, one caller is let
through as a probe; its success closes the circuit, its failure opens it for another period.
An outage therefore costs one timeout per process and period, not one per call, and logs
two lines: a warning when the circuit opens and one when it closes, with the number of
calls skipped meanwhile (never a traceback per request).

The budget: inside a request (RedisBudgetMiddleware), once any Redis call failed, every
other Redis call of that request is skipped too, so a request waits on Redis for at most one
socket timeout (0.5 s for the cache, 1 s for the broker) whatever Redis does, even when cache
and broker are separate servers that failed together.

State is per process (each gunicorn worker and Celery worker learns on its own); a circuit
is keyed by the server's address, so a cache and a broker on one Redis share it.
"""

import contextvars
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from amqp.exceptions import ConnectionError as AmqpConnectionError
from amqp.exceptions import MessageNacked, RecoverableConnectionError
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
T = TypeVar("T")


class RedisUnavailable(RedisConnectionError):
    """Raised instead of calling a server whose circuit is open (or after this request
    already failed on Redis). A ConnectionError, so every fallback that handles an
    unreachable Redis handles it the same way."""


def is_outage(exc: BaseException) -> bool:
    """An error that says the server is unreachable or cannot take writes, not a bug of ours:
    a connection error, a timeout, an out-of-memory refusal, a message RabbitMQ refused (kombu
    wraps the former in its OperationalError, hence the cause chain)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        if isinstance(current, RedisConnectionError | RedisTimeoutError | ConnectionError):
            return True
        if isinstance(current, TimeoutError):
            return True
        if isinstance(current, OutOfMemoryError) or (
            isinstance(current, ResponseError) and str(current).startswith("OOM")
        ):
            return True
        if isinstance(current, KombuOperationalError):
            return True
        # RabbitMQ: the connection closed or refused by the broker (a restart, a resource
        # alarm), or a publish it nacked (publisher confirms): it did not take the message.
        if isinstance(current, AmqpConnectionError | RecoverableConnectionError | MessageNacked):
            return True
        current, seen = current.__cause__ or current.__context__, seen + 1
    return False


# --- The per-request budget --------------------------------------------------------------

# A list while a request runs (holds one item once any Redis call of the request failed);
# None outside requests (Celery workers, commands), where only the circuits apply.
_request_failures: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "redis_request_failures", default=None
)


class RedisBudgetMiddleware:
    """Scope of the per-request budget: first in MIDDLEWARE, so throttles, rate limits and
    the after-commit publishes of the view all run inside it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_failures.set([])
        try:
            return self.get_response(request)
        finally:
            _request_failures.reset(token)


# --- The circuit -------------------------------------------------------------------------


class RedisCircuit:
    """Closed, open (until `reopen_at`), or half-open (one probe in flight)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._lock = threading.Lock()
        self._opened_at: float | None = None  # monotonic; None while closed
        self._reopen_at = 0.0
        self._probing = False
        self._skipped = 0
        self._failures = 0

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        """True if the caller may call the server now (closed, or this caller is the probe)."""
        failures = _request_failures.get()
        if failures:  # this request already paid one timeout on Redis: skip the rest
            if self._opened_at is not None:
                with self._lock:
                    self._skipped += 1
            return False
        if self._opened_at is None:  # the common case, without the lock
            return True
        with self._lock:
            if self._opened_at is None:
                return True
            if not self._probing and time.monotonic() >= self._reopen_at:
                self._probing = True
                return True
            self._skipped += 1
            return False

    def success(self) -> None:
        if self._opened_at is None:
            return
        with self._lock:
            if self._opened_at is None:
                return
            down = time.monotonic() - self._opened_at
            skipped, failed = self._skipped, self._failures
            self._opened_at, self._probing, self._skipped, self._failures = None, False, 0, 0
        logger.warning(
            "redis %s reachable again: circuit closed after %.1f s; %d call(s) skipped and "
            "%d probe(s) failed meanwhile",
            self.address, down, skipped, failed,
        )  # fmt: skip

    def failure(self, exc: BaseException) -> None:
        failures = _request_failures.get()
        if failures is not None:
            failures.append(self.address)
        now = time.monotonic()
        with self._lock:
            opening = self._opened_at is None
            if opening:
                self._opened_at = now
            else:
                self._failures += 1
            self._reopen_at = now + settings.REDIS_CIRCUIT_OPEN_SECONDS
            self._probing = False
        if opening:
            logger.warning(
                "redis %s unreachable (%s: %s): circuit open, calls skip it for %s s "
                "(fail open, database fallback)",
                self.address, type(exc).__name__, exc, settings.REDIS_CIRCUIT_OPEN_SECONDS,
            )  # fmt: skip

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)` through the circuit. Raises RedisUnavailable when
        skipped; re-raises the call's own error after recording an outage."""
        if not self.allow():
            raise RedisUnavailable(f"redis {self.address} skipped: circuit open")
        try:
            result = function(*args, **kwargs)
        except BaseException as exc:
            if is_outage(exc):
                self.failure(exc)
            elif self._probing:
                self.success()  # it answered (with some other error): it is up
            raise
        self.success()
        return result


_circuits: dict[str, RedisCircuit] = {}
_circuits_lock = threading.Lock()


def redis_address(url: str) -> str:
    """`host:port` of a redis:// (or rediss://, rediscache://) URL; other transports (the
    filesystem broker of `make run`) are named by their scheme."""
    parts = urlsplit(url)
    if "redis" not in parts.scheme:
        return parts.scheme or "none"
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"


def redis_circuit(url: str) -> RedisCircuit:
    """The circuit of the server a URL names (one per address and process)."""
    address = redis_address(url)
    circuit = _circuits.get(address)
    if circuit is None:
        with _circuits_lock:
            circuit = _circuits.setdefault(address, RedisCircuit(address))
    return circuit


def broker_publish(app: Any, name: str, send: Callable[[], Any]) -> bool:
    """Run `send()` (one publish to `app`'s broker, `retry=False`) through the broker's
    circuit: skipped at once while it is open; an outage opens it (logged there, once);
    any other error is logged with its traceback. Never raises; True if the broker took it.
    The one publish path of the request side (config.tasks) goes through here."""
    circuit = redis_circuit(app.conf.broker_write_url or app.conf.broker_url or "")
    if not circuit.allow():
        return False
    try:
        send()
    except Exception as exc:
        if is_outage(exc):
            circuit.failure(exc)
        else:  # an encoding bug, a refusal we do not know: say which, with the traceback
            logger.exception("could not publish %s", name)
        return False
    circuit.success()
    return True


def redis_circuits_reset() -> None:
    """Forget every circuit's state (tests that start and stop their own servers)."""
    with _circuits_lock:
        _circuits.clear()


def fallback_log(log: logging.Logger, message: str, *args: Any) -> None:
    """Log a fallback taken in an `except` block: quietly (debug) for an outage, which its
    circuit already reported once; with the traceback for anything else (a bug)."""
    exc = sys.exc_info()[1]
    if exc is not None and is_outage(exc):
        log.debug(message, *args)
    else:
        log.warning(message, *args, exc_info=True)
