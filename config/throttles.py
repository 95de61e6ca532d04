"""The API's general rate limits: per client address, per account, per API key.

**One counter, one round trip.** Each limited request runs one Lua script in Redis that
reads two fixed-window counters (this window and the previous one), weighs the previous by
how much of it still overlaps the sliding window (the "sliding-window counter"), and
increments the current one only if the estimate stays within the limit. O(1) in time and
memory per client, atomic (parallel requests cannot all pass), and never the pickled list of
request times DRF's own throttles rewrite on every request. The review writes keep their
exact sliding log (reviews.api.throttles): a few per day, where fairness matters more.

**With the document, still one round trip.** A view serving a pre-rendered document (the
rating, the model page, lists, ranks, cost, the first page of reviews) says so with
`throttle_on_read`; for a plain GET the throttle then defers its charge to the view's first
cache read (`read_charged`), where one script counts the client and, if counted, reads the
document and its generation tokens: a warm read is one Redis round trip, not two. A refused
client gets its 429 from that read, before anything renders. A view that answers before
reading (a 400 on its parameters) is charged by ThrottleSettleMiddleware after its answer.

**Who is counted.**
- A request with `X-Api-Key` counts against that key only, at the key's own rate (keys are
  created by staff in the admin, stored hashed: accounts.models.ApiKey). The key is read
  here, not by an authentication class: the public catalog views run no authenticator (no
  session or token lookup on the hot path), and a key identifies a *client* to limit, not a
  person with permissions. An unknown key is 401 `api_key_invalid`, a revoked one 401
  `api_key_revoked`: a partner learns at once that its key no longer works instead of being
  silently limited as an anonymous browser. A key this process has not looked up lately costs
  its sender one request of the address's allowance first (made-up keys cannot buy queries).
  The key's name goes into the request's log line
  (the gunicorn access log, `key=`; WSGI environ `aimodels.api_key`).
- A signed-in account (session or X-Session-Token) counts against its account (`user`).
- Anyone else counts against the client address (`anon`): `client_address()` believes
  `X-Forwarded-For` only from a peer in TRUSTED_PROXIES, and only the last
  ALLAUTH_TRUSTED_PROXY_COUNT hops of it (what our proxies wrote); a header sent by anyone
  else is ignored, since a client could otherwise pick the address it is counted against.

**Conditional requests.** A GET with `If-None-Match` is charged after the answer is known
(`ThrottleSettleMiddleware`): a 304 costs no throttle write at all, any other answer is
charged then and becomes a 429 if the client was over its limit. A client already refused
is remembered in this process until its Retry-After, so it is refused up front without a
round trip (and cannot make this worker render for it again meanwhile).

**Fail open.** The counters live in the cache's Redis and go through its circuit breaker
(config.redis_health): while Redis is unreachable, requests are let through. The throttles
are abuse protection, not a rule of the domain; a cache outage must not become an API outage.
"""

import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from redis.exceptions import RedisError
from rest_framework import exceptions, throttling

from config.cache import hot_get_many
from config.redis_health import fallback_log

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

API_KEY_HEADER = "HTTP_X_API_KEY"
# The key's name, for the request log line (gunicorn's `%({aimodels.api_key}e)s`).
API_KEY_ENVIRON = "aimodels.api_key"


class FailOpen(throttling.BaseThrottle):
    """Put first among a throttle's bases: wraps the `allow_request` of the one after it."""

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            fallback_log(logger, "throttle cache unreachable; request let through")
            return True


# --- The client address -------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    """The address a request is counted against. `X-Forwarded-For` is believed only when
    the peer is one of our proxies (TRUSTED_PROXIES) and proxies are configured
    (ALLAUTH_TRUSTED_PROXY_COUNT > 0); then the entry our outermost proxy wrote is the
    client, i.e. the COUNT-th from the right. Anything unparsable falls back to the peer."""
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    hops = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not hops or not forwarded or not _is_trusted(peer):
        return peer
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return peer
    candidate = entries[-min(hops, len(entries))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


# --- API keys (the model lives in accounts; it registers its lookup here) ------------------


@dataclass(frozen=True)
class ApiKeyInfo:
    id: int
    name: str
    rate: str  # "6000/min"
    revoked: bool


_api_key_resolver: Callable[[str], ApiKeyInfo | None] | None = None
_api_key_memo: dict[str, tuple[float, ApiKeyInfo | None]] = {}
_memo_lock = threading.Lock()
_MEMO_MAX = 10_000
API_KEY_MAX_LENGTH = 100


def register_api_key_resolver(resolver: Callable[[str], ApiKeyInfo | None]) -> None:
    """Called from accounts.apps.ready(): maps a raw key to its record (None if unknown)."""
    global _api_key_resolver
    _api_key_resolver = resolver


def api_keys_forget() -> None:
    """Drop this process's memo of key lookups (a key was revoked or changed here)."""
    with _memo_lock:
        _api_key_memo.clear()


def api_key_remembered(raw: str) -> tuple[bool, ApiKeyInfo | None]:
    """(True, record) if this process looked the key up within API_KEY_CACHE_SECONDS."""
    found = _api_key_memo.get(raw)
    if found is not None and found[0] > time.monotonic():
        return True, found[1]
    return False, None


def api_key_get(raw: str) -> ApiKeyInfo | None:
    """The key's record, memoized per process for API_KEY_CACHE_SECONDS (a warm read stays
    free of queries; a revocation reaches other processes within that time)."""
    known, info = api_key_remembered(raw)
    if known:
        return info
    if len(raw) > API_KEY_MAX_LENGTH:  # never a key of ours: not looked up, not remembered
        return None
    info = _api_key_resolver(raw) if _api_key_resolver is not None else None
    with _memo_lock:
        if len(_api_key_memo) >= _MEMO_MAX:
            _api_key_memo.clear()
        _api_key_memo[raw] = (time.monotonic() + settings.API_KEY_CACHE_SECONDS, info)
    return info


class ApiKeyRefused(exceptions.APIException):
    status_code = 401
    default_detail = "The API key is not valid."
    default_code = "api_key_invalid"
    auth_header = 'ApiKey header="X-Api-Key"'  # DRF sends it as WWW-Authenticate


# --- The counter ----------------------------------------------------------------------------

# KEYS: this window's counter, the previous window's. ARGV: limit, window (s), the weight
# of the previous window (the share of it still inside the sliding window).
# Answers {1} when counted, else {0, current, previous}.
_HIT = """
local counts = redis.call('MGET', KEYS[1], KEYS[2])
local current = tonumber(counts[1] or '0')
local previous = tonumber(counts[2] or '0')
if previous * tonumber(ARGV[3]) + current + 1 > tonumber(ARGV[1]) then
  return {0, current, previous}
end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], 2 * tonumber(ARGV[2]) + 1)
end
return {1}
"""


# The same, then (if counted) the values of KEYS[3..]: a throttled read in one round trip.
# Answers {1, value, ...} when counted (false for a missing key), else {0, current, previous}.
_HIT_AND_READ = (
    _HIT.rsplit("return {1}", 1)[0]
    + """if #KEYS > 2 then
  return {1, unpack(redis.call('MGET', unpack(KEYS, 3)))}
end
return {1}
"""
)


def _wait(limit: int, window: int, elapsed: float, current: int, previous: int) -> float:
    """Seconds until one more request fits under the sliding estimate."""
    if current + 1 > limit:  # not before the next window, where `current` is the previous
        extra = max(0.0, 1 - (limit - 1) / current) * window if current else 0.0
        return window - elapsed + extra
    if previous <= 0:
        return 1.0
    # previous * (1 - f) + current + 1 <= limit  <=>  f >= 1 - (limit - current - 1) / previous
    return max(0.0, (1 - (limit - current - 1) / previous) * window - elapsed)


_scripts: dict[tuple[int, str], Any] = {}


def _redis_script(source: str = _HIT) -> tuple[Any, Any] | None:
    """The script on the cache's raw Redis client (sent by its SHA1, EVALSHA, once Redis
    knows it), and the cache's circuit; None for other caches."""
    backend = getattr(cache, "_cache", None)
    if backend is None or not hasattr(backend, "get_client"):
        return None
    client = backend.get_client(None, write=True)
    script = _scripts.get((id(client), source))
    if script is None:
        script = _scripts[(id(client), source)] = client.register_script(source)
    return script, getattr(backend, "circuit", None)


@dataclass(frozen=True)
class _Window:
    current_key: str
    previous_key: str
    elapsed: float
    weight: float

    @classmethod
    def now(cls, ident: str, window: int) -> "_Window":
        now = time.time()
        index = int(now // window)
        elapsed = now - index * window
        # A hash tag: both windows of one client live in one slot of a cluster.
        return cls(
            current_key=cache.make_key(f"rl:{{{ident}}}:{window}:{index}"),
            previous_key=cache.make_key(f"rl:{{{ident}}}:{window}:{index - 1}"),
            elapsed=elapsed,
            weight=1 - elapsed / window,
        )


def counter_hit(ident: str, limit: int, window: int) -> float | None:
    """Count one request of `ident` if it fits within `limit` per sliding `window` seconds:
    None if counted, else the seconds to wait. One round trip. Raises on a cache outage."""
    w = _Window.now(ident, window)
    current_key, previous_key, elapsed, weight = w.current_key, w.previous_key, w.elapsed, w.weight
    found = _redis_script()
    if found is not None:
        script, circuit = found
        keys, args = [current_key, previous_key], [limit, window, f"{weight:.6f}"]
        answer = circuit.call(script, keys, args) if circuit is not None else script(keys, args)
        if answer[0]:
            return None
        current, previous = int(answer[1]), int(answer[2])
    else:  # the file cache of `make run` (one developer): the same counts, without atomicity
        counts = cache.get_many([current_key, previous_key])
        current, previous = counts.get(current_key, 0), counts.get(previous_key, 0)
        if previous * weight + current + 1 <= limit:
            if not cache.add(current_key, 1, 2 * window + 1):
                cache.incr(current_key)
            return None
    return _wait(limit, window, elapsed, current, previous)


# Clients refused recently, until when (time.time()): refused again without a round trip.
_refused_until: dict[str, float] = {}


def _refused_wait(ident: str) -> float | None:
    until = _refused_until.get(ident)
    if until is None:
        return None
    left = until - time.time()
    if left <= 0:
        _refused_until.pop(ident, None)
        return None
    return left


def _refused_remember(ident: str, wait: float) -> None:
    if len(_refused_until) >= _MEMO_MAX:
        _refused_until.clear()
    _refused_until[ident] = time.time() + wait


def throttle_memory_clear() -> None:
    """Forget the refusals remembered in this process (tests)."""
    _refused_until.clear()
    api_keys_forget()


def _is_conditional(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and "HTTP_IF_NONE_MATCH" in request.META


@dataclass
class _Charge:
    ident: str
    limit: int
    window: int


def _charge(charge: _Charge) -> float | None:
    """counter_hit, failing open: None (let through) when the cache is unreachable."""
    try:
        wait = counter_hit(charge.ident, charge.limit, charge.window)
    except (RedisError, OSError):
        fallback_log(logger, "throttle cache unreachable; request let through")
        return None
    if wait is not None:
        _refused_remember(charge.ident, wait)
    return wait


# --- A throttled read in one round trip ------------------------------------------------------
# The charge of a plain (not conditional) GET of a view that opts in (`throttle_on_read`),
# deferred by the throttle to the request's first cache read (`read_charged`). A list only
# while ThrottleSettleMiddleware serves a request: it charges whatever no read took.
_read_charges: ContextVar[list[_Charge] | None] = ContextVar("throttle_read_charges", default=None)
# The If-None-Match of a conditional GET, for its first document read (conditional_take):
# a validator that still matches is answered 304 from the document's small head alone.
_conditional: ContextVar[list[str] | None] = ContextVar("throttle_conditional", default=None)


def conditional_take() -> str | None:
    """The If-None-Match of the request being served, to its first caller only (a bundle's
    parts, read while rendering it, must get whole documents); None for other requests."""
    pending = _conditional.get()
    return pending.pop() if pending else None


def _throttled(wait: float) -> exceptions.Throttled:
    return exceptions.Throttled(wait=max(1, math.ceil(wait)))


def read_charged(keys: Sequence[str]) -> dict[str, Any]:
    """`cache.get_many(keys)`, charging the throttle this request deferred to its first read
    in the same round trip: one script counts the client and, if counted, reads the keys.
    Raises Throttled (429) when the client is over its limit (nothing is read then). A cache
    outage raises as `get_many` would, for the caller's own fallback; the charge fails open.
    Assumes one Redis server, as the cache does (config/cache.py)."""
    pending = _read_charges.get()
    return read_counted(pending.pop() if pending else None, keys)


def read_counted(charge: "_Charge | None", keys: Sequence[str]) -> dict[str, Any]:
    """`cache.get_many(keys)` charging `charge` in the same round trip (see read_charged)."""
    found = _redis_script(_HIT_AND_READ) if charge is not None else None
    if found is None:
        if charge is not None:  # the file cache of `make run`: two calls, as before
            wait = _charge(charge)
            if wait is not None:
                raise _throttled(wait)
        return hot_get_many(keys)
    assert charge is not None  # noqa: S101 (found implies a charge)
    script, circuit = found
    window = _Window.now(charge.ident, charge.window)
    all_keys = [window.current_key, window.previous_key]
    # make_key, not make_and_validate_key: the memcached key checks (a loop over every
    # character of every key) are warnings Redis does not need, on the hottest path.
    all_keys += [cache.make_key(key) for key in keys]
    args = [charge.limit, charge.window, f"{window.weight:.6f}"]
    try:
        answer = (
            circuit.call(script, all_keys, args) if circuit is not None else script(all_keys, args)
        )
    except (RedisError, OSError):
        fallback_log(logger, "throttle cache unreachable; request let through")
        raise
    if not answer[0]:
        current, previous = int(answer[1]), int(answer[2])
        wait = _wait(charge.limit, charge.window, window.elapsed, current, previous)
        _refused_remember(charge.ident, wait)
        raise _throttled(wait)
    loads = cache._cache._serializer.loads  # type: ignore[attr-defined]
    return {
        key: loads(value) for key, value in zip(keys, answer[1:], strict=False) if value is not None
    }


class _CounterThrottle(throttling.SimpleRateThrottle):
    """A DRF throttle on the sliding-window counter. Subclasses say whom they count
    (`charge_for`, None to let the request through uncounted)."""

    wait_seconds: float = 0.0

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)

    def charge_for(self, request: "Request") -> _Charge | None:
        raise NotImplementedError

    def _rate_charge(self, ident: str, rate: str | None) -> _Charge | None:
        if rate is None:
            return None
        limit, window = self.parse_rate(rate)
        if limit is None or window is None:
            return None
        # The rate is part of the name: a changed rate starts a fresh count.
        return _Charge(f"{ident}:{limit}/{window}", limit, window)

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        charge = self.charge_for(request)
        if charge is None:
            return True
        if request._request.__dict__.get(CHARGED) == charge.ident:
            return True  # counted already, by the direct read (config.fast_reads)
        known = _refused_wait(charge.ident)
        if known is not None:
            self.wait_seconds = known
            return False
        django_request = request._request
        if _is_conditional(django_request):
            # Charged once the answer is known: nothing for a 304 (ThrottleSettleMiddleware).
            deferred = django_request.__dict__.setdefault("throttle_deferred", [])
            deferred.append(charge)
            return True
        on_read = _read_charges.get()
        if (
            on_read == []
            and getattr(view, "throttle_on_read", False)
            and (django_request.method in ("GET", "HEAD"))
        ):
            on_read.append(charge)  # charged by the view's first cache read (read_charged)
            return True
        wait = _charge(charge)
        if wait is None:
            return True
        self.wait_seconds = wait
        return False

    def wait(self) -> float:
        return max(1.0, math.ceil(self.wait_seconds))


# Set on a request the direct read (config.fast_reads) counted before it fell back to DRF's
# dispatch (a miss): the ident counted, which the throttles then let through uncounted.
CHARGED = "throttle_charged"


class Undecided(Exception):
    """The direct read cannot tell whom to count without DRF (a key this process has not
    looked up, or one it must refuse): the request goes through DRF's throttles instead."""


def direct_charge(request: HttpRequest) -> _Charge | None:
    """Whom an anonymous read of a `throttle_on_read` view counts against, as
    AnonRateThrottle decides it for a request without an account (UserRateThrottle counts
    none): its API key at the key's rate, else its address. Raises Undecided for a key that
    is unknown here, invalid or revoked (DRF's path looks it up and answers 401)."""
    raw = request.META.get(API_KEY_HEADER)
    if raw:
        known, info = api_key_remembered(raw)
        if not known or info is None or info.revoked:
            raise Undecided()
        request.META[API_KEY_ENVIRON] = info.name
        return _parsed_charge(f"key:{info.id}", info.rate)
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(AnonRateThrottle.scope)
    return None if rate is None else _parsed_charge(f"addr:{client_address(request)}", rate)


@lru_cache(maxsize=64)
def _rate_parse(rate: str) -> tuple[int, int]:
    """DRF's SimpleRateThrottle.parse_rate ("600/min" -> (600, 60)), memoized."""
    count, period = rate.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def _parsed_charge(ident: str, rate: str) -> _Charge:
    limit, window = _rate_parse(rate)
    return _Charge(f"{ident}:{limit}/{window}", limit, window)  # as _rate_charge names it


def refused_wait(charge: _Charge) -> float | None:
    """Seconds this process still refuses the charge's client (a 429 it answered lately)."""
    return _refused_wait(charge.ident)


class AnonRateThrottle(_CounterThrottle):
    """Anonymous requests per client address (`anon`); requests with `X-Api-Key` per key,
    at the key's rate, whoever sends them."""

    scope = "anon"

    def charge_for(self, request: "Request") -> _Charge | None:
        raw = request._request.META.get(API_KEY_HEADER)
        if raw:
            return self._key_charge(request, raw)
        if request.user and request.user.is_authenticated:
            return None  # UserRateThrottle counts signed-in accounts
        return self._rate_charge(f"addr:{client_address(request._request)}", self.rate)

    def _key_charge(self, request: "Request", raw: str) -> _Charge:
        known, _ = api_key_remembered(raw)
        if not known:
            # A lookup in the database: counted against the address first, so a flood of
            # made-up keys costs its sender the anonymous limit, not us a query each.
            address = self._rate_charge(f"addr:{client_address(request._request)}", self.rate)
            if address is not None:
                wait = _refused_wait(address.ident)
                wait = wait if wait is not None else _charge(address)
                if wait is not None:
                    raise exceptions.Throttled(wait=max(1, math.ceil(wait)))
        info = api_key_get(raw)
        if info is None:
            raise ApiKeyRefused()
        if info.revoked:
            raise ApiKeyRefused("This API key has been revoked.", code="api_key_revoked")
        request._request.META[API_KEY_ENVIRON] = info.name
        charge = self._rate_charge(f"key:{info.id}", info.rate)
        assert charge is not None  # noqa: S101 (the model's constraint keeps rates valid)
        return charge


class UserRateThrottle(_CounterThrottle):
    """Signed-in accounts (`user`), unless the request carries an API key."""

    scope = "user"

    def charge_for(self, request: "Request") -> _Charge | None:
        if request._request.META.get(API_KEY_HEADER):
            return None
        if not (request.user and request.user.is_authenticated):
            return None
        return self._rate_charge(f"user:{request.user.pk}", self.rate)


class ThrottleSettleMiddleware:
    """Charges the throttles a conditional request deferred (see the module docstring):
    nothing for a 304; otherwise the charge, and a 429 instead of the answer when over."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reset = _read_charges.set([])
        validators = [request.META["HTTP_IF_NONE_MATCH"]] if _is_conditional(request) else []
        reset_conditional = _conditional.set(validators)
        try:
            response = self.get_response(request)
            unread = list(_read_charges.get() or ())  # a view that never read the cache
        finally:
            _read_charges.reset(reset)
            _conditional.reset(reset_conditional)
        deferred: list[_Charge] = request.__dict__.get("throttle_deferred") or []
        if response.status_code == 304:
            deferred = []
        for charge in [*unread, *deferred]:
            wait = _charge(charge)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                from config.api import error_body  # config.api imports DRF's settings

                refused = JsonResponse(
                    error_body(
                        "throttled", f"Request was throttled. Expected available in {seconds} "
                        "seconds.",
                    ),
                    status=429,
                )  # fmt: skip
                refused["Retry-After"] = str(seconds)
                return refused
        return response
