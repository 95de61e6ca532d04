"""A read replica for public reads, with read-your-writes and a health gate.

Only with REPLICA_DATABASE_URL set (settings add the `replica` alias and this router);
without it every query goes to `default`, as before.

What reads the replica: the queries of a GET or HEAD under REPLICA_READ_PREFIXES (the public
API and feeds), decided per request by `ReplicaRoutingMiddleware`, and only

- outside any atomic block (a transaction reads what it writes, on the primary);
- before the request's first write (after one, the rest of the request reads the primary);
- outside `primary_reads()` (the pre-rendered documents, see below);
- while the replica is usable: answering, in recovery, and no more than
  REPLICA_MAX_LAG_SECONDS behind (measured at most every REPLICA_CHECK_SECONDS per process);
- when the client is not pinned: after a request that wrote (a write through the ORM, or an
  unsafe method answered below 400), the client's session keys (the session cookie, the app's
  X-Session-Token, and every session saved during the request, e.g. the new one a login
  creates) are pinned to the primary for REPLICA_PIN_SECONDS in the shared cache. The pin
  outlives the largest lag the gate tolerates, so a writer never reads older rows than its
  own write. A cache that cannot answer the pin lookup counts as pinned (primary).

Everything else (writes, services, Celery tasks, management commands, the admin,
allauth's routes) never sees the replica: the request state below is only set by the
middleware, and its absence means the primary.

Pre-rendered documents (config.documents) render from the primary. A document is kept under
the generation tokens read before rendering; a writer's bump after commit is what makes the
next reader render again. Rendered from a replica that has not replayed the commit yet, the
document would hold the old rows under the new token and be served (to the writer too) until
the next bump or ENTRY_TIMEOUT. Documents are rendered once per change and served from the
cache, so their renders are a small share of the reads; the replica takes the rest (filtered
and later pages, profiles, the signed-in person's own lists).
"""

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

from config.redis_health import fallback_log

logger = logging.getLogger(__name__)
REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD")
PIN_PREFIX = "dbpin:"


@dataclass
class _RequestState:
    replica_allowed: bool  # this request may read the replica (the middleware's decision)
    primary_depth: int = 0  # inside primary_reads()
    used_replica: bool = False
    wrote: bool = False
    saved_sessions: set[str] = field(default_factory=set)


_state: ContextVar[_RequestState | None] = ContextVar("replica_request_state", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


# --- Replica health ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaStatus:
    state: str  # "ok", "lagging", "unreachable", "not_in_recovery"
    lag_seconds: float | None
    checked_at: float  # time.monotonic()

    @property
    def usable(self) -> bool:
        return self.state == "ok"


_status: ReplicaStatus | None = None

# The replica's replay position against the primary's current WAL position: caught up means
# no lag; behind, the lag is the age of the last transaction it replayed (an overestimate
# after an idle spell, which only sends reads to the primary a little longer).
_REPLICA_QUERY = """
SELECT pg_is_in_recovery(),
       COALESCE(pg_last_wal_replay_lsn() >= %s::pg_lsn, false),
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
"""


def _measure() -> ReplicaStatus:
    now = time.monotonic()
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            primary_lsn = cursor.fetchone()[0]
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(_REPLICA_QUERY, [primary_lsn])
            in_recovery, caught_up, age = cursor.fetchone()
    except DatabaseError:
        logger.warning("replica unreachable; reads go to the primary", exc_info=True)
        connections[REPLICA].close()
        return ReplicaStatus("unreachable", None, now)
    if not in_recovery:
        # Promoted or misconfigured: it no longer follows this primary.
        return ReplicaStatus("not_in_recovery", None, now)
    lag = 0.0 if caught_up else (float(age) if age is not None else None)
    if lag is None or lag > settings.REPLICA_MAX_LAG_SECONDS:
        return ReplicaStatus("lagging", lag, now)
    return ReplicaStatus("ok", lag, now)


def replica_status(max_age: float | None = None) -> ReplicaStatus:
    """The replica's health as this process last measured it, measured again when older than
    `max_age` (REPLICA_CHECK_SECONDS by default; an unreachable replica is retried after
    REPLICA_RETRY_SECONDS, so its connect timeout is paid rarely)."""
    global _status
    if max_age is None:
        unreachable = _status is not None and _status.state == "unreachable"
        max_age = settings.REPLICA_RETRY_SECONDS if unreachable else settings.REPLICA_CHECK_SECONDS
    if _status is None or time.monotonic() - _status.checked_at >= max_age:
        previous = _status
        _status = _measure()
        if previous is not None and previous.state != _status.state:
            logger.warning("replica %s -> %s (lag %s s)", previous.state, _status.state,
                           _status.lag_seconds)  # fmt: skip
    return _status


def replica_mark_unreachable() -> None:
    global _status
    _status = ReplicaStatus("unreachable", None, time.monotonic())


# --- Routing ---------------------------------------------------------------------------


@contextlib.contextmanager
def primary_reads() -> Iterator[None]:
    """Reads inside go to the primary, whatever the request."""
    state = _state.get()
    if state is None:
        yield
        return
    state.primary_depth += 1
    try:
        yield
    finally:
        state.primary_depth -= 1


class PrimaryReplicaRouter:
    """Installed only with a replica configured (settings)."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        state = _state.get()
        if state is None or not state.replica_allowed or state.primary_depth or state.wrote:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if not replica_status().usable:
            return DEFAULT_DB_ALIAS
        state.used_replica = True
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str:
        # Explicit: without it Django would write an instance back where it was read from.
        state = _state.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def session_saved(session_key: str | None) -> None:
    """Called by the session store (config.sessions) for every session it saves: the request
    pins it, so the client that received it reads its own writes."""
    state = _state.get()
    if state is not None and session_key:
        state.wrote = True
        state.saved_sessions.add(session_key)


# --- Pins (read-your-writes) -------------------------------------------------------------


def _pin_key(credential: str) -> str:
    return PIN_PREFIX + hashlib.sha256(credential.encode()).hexdigest()[:32]


def _credentials(request: HttpRequest) -> list[str]:
    found = [
        request.META.get("HTTP_X_SESSION_TOKEN", ""),
        request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""),
    ]
    return [credential for credential in found if credential]


def pin_seconds() -> float:
    """The pin outlives the largest lag the gate lets through, plus one check interval (the
    lag may grow by that much before the next measurement)."""
    floor = settings.REPLICA_MAX_LAG_SECONDS + settings.REPLICA_CHECK_SECONDS + 1
    return max(settings.REPLICA_PIN_SECONDS, floor)


def _pinned(credentials: list[str]) -> bool:
    if not credentials:
        return False
    try:
        return bool(cache.get_many([_pin_key(c) for c in credentials]))
    except Exception:
        fallback_log(logger, "pin lookup failed; reading the primary")
        return True


def _pin(credentials: set[str]) -> None:
    if not credentials:
        return
    timeout = int(pin_seconds() + 0.999)
    try:
        cache.set_many({_pin_key(c): 1 for c in credentials}, timeout)
    except Exception:
        fallback_log(logger, "pin not written")


class ReplicaRoutingMiddleware:
    """Decides per request whether its reads may use the replica (see the module docstring),
    pins writers, and serves a safe request again from the primary when the replica failed
    under it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        credentials = _credentials(request)
        eligible = request.method in SAFE_METHODS and request.path.startswith(
            tuple(settings.REPLICA_READ_PREFIXES)
        )
        state = _RequestState(replica_allowed=eligible and not _pinned(credentials))
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        # A write through the ORM sets `wrote`; an unsafe request that succeeded may have
        # written another way. A refused one (bad token, invalid body) pins nothing, so forged
        # credentials cannot fill the cache with pins.
        succeeded = request.method not in SAFE_METHODS and response.status_code < 400
        if state.wrote or succeeded:
            _pin({*credentials, *state.saved_sessions})
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        state = _state.get()
        if state is None or not state.used_replica or not isinstance(exception, DatabaseError):
            return None
        if request.method not in SAFE_METHODS or state.wrote or request.resolver_match is None:
            return None
        # The replica failed mid-request (stopped, restarted, its connection cut): take it
        # out of use and serve this read again, from the primary.
        logger.warning("replica failed during a read; serving it from the primary")
        replica_mark_unreachable()
        connections[REPLICA].close()
        state.replica_allowed = False
        match = request.resolver_match
        response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response
