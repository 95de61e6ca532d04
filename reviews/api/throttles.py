"""Per-account rate limits on review writes (counted in the shared cache).

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] under each scope and are read per
request, so an override (an environment variable, a test's settings) takes effect at once.

Two rules, both for fairness to the person writing:
- **Rolling windows.** "10 a day" means at most 10 in any 24 hours, not per UTC day: a
  fixed window let 20 through around midnight, and refused at 23:59 what 00:01 allowed.
- **Only successes count.** A write refused for its content (400), a conflict (409) or any
  other error does not use up the allowance.

Each request reserves a slot atomically (a Lua script on a sorted set of timestamps in
Redis: parallel requests cannot all pass), and the view gives the slot back when its answer
is an error (`SuccessOnlyThrottling`).
"""

import logging
import time
import uuid
from typing import Any, cast

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

# Fails open while the cache is down: a Redis outage must not turn review writes into 500s.
from config.redis_health import fallback_log
from config.throttles import FailOpen

logger = logging.getLogger(__name__)

# KEYS[1]: the account's sorted set; ARGV: now, window (s), limit, member.
# Drops entries older than the window; adds `member` if fewer than `limit` remain and
# answers {1}; otherwise {0, score of the oldest entry} (when a slot frees up).
_RESERVE = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < tonumber(ARGV[3]) then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('EXPIRE', key, math.ceil(window) + 1)
  return {1}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, oldest[2]}
"""


class _SlidingWindowThrottle(throttling.UserRateThrottle):
    """A sliding-window log per account: the timestamps of the counted requests of the last
    `duration` seconds. `release()` takes back this request's entry."""

    # Set by DRF's __init__ from the rate (`parse_rate`); read only once a rate is known.
    num_requests: int
    duration: int
    reservation: tuple[str, str] | None = None
    wait_seconds: float = 0.0

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now, member = time.time(), uuid.uuid4().hex
        allowed, oldest = self._reserve(key, now, member)
        if allowed:
            self.reservation = (key, member)
        else:
            self.wait_seconds = max(0.0, oldest + self.duration - now)
        return allowed

    def wait(self) -> float:
        return self.wait_seconds

    def release(self) -> None:
        if self.reservation is None:
            return
        key, member = self.reservation
        self.reservation = None
        client = self._redis(key)
        if client is not None:
            self._through_circuit(client.zrem, self.cache.make_key(key), member)
            return
        entries = [entry for entry in self.cache.get(key, []) if entry[1] != member]
        self.cache.set(key, entries, self.duration + 1)

    def _redis(self, key: str) -> Any:
        """The raw Redis client behind Django's Redis cache; None for other caches."""
        backend = getattr(self.cache, "_cache", None)
        if backend is None or not hasattr(backend, "get_client"):
            return None
        return backend.get_client(key, write=True)

    def _through_circuit(self, method: Any, *args: Any) -> Any:
        """A raw-client call through the Redis circuit of the cache (config.redis_health):
        skipped at once while Redis is known to be down, within the request's budget."""
        circuit = getattr(getattr(self.cache, "_cache", None), "circuit", None)
        return circuit.call(method, *args) if circuit is not None else method(*args)

    def _reserve(self, key: str, now: float, member: str) -> tuple[bool, float]:
        client = self._redis(key)
        if client is not None:
            args = [now, self.duration, self.num_requests, member]
            answer = self._through_circuit(
                client.eval, _RESERVE, 1, self.cache.make_key(key), *args
            )
            return bool(answer[0]), float(answer[1]) if len(answer) > 1 else now
        # The file cache of `make run` (one developer): the same log, without atomicity.
        entries = [entry for entry in self.cache.get(key, []) if entry[0] > now - self.duration]
        if len(entries) >= self.num_requests:
            return False, min(entry[0] for entry in entries)
        self.cache.set(key, [*entries, (now, member)], self.duration + 1)
        return True, now


class _AccountWriteThrottle(FailOpen, _SlidingWindowThrottle):
    """Counts only the write methods listed, per signed-in account."""

    scope: str  # each subclass names its own
    methods: frozenset[str] = frozenset()

    def get_rate(self) -> str | None:
        # Rates are strings such as "10/day"; the stubs type them as numbers.
        return cast(str | None, api_settings.DEFAULT_THROTTLE_RATES[self.scope])

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method not in self.methods:
            return True
        return super().allow_request(request, view)

    def release(self) -> None:
        try:
            super().release()
        except (RedisError, OSError):
            fallback_log(logger, "throttle cache unreachable; slot not given back")


class SuccessOnlyThrottling:
    """For views with account write throttles: an error answer gives the slot back, so only
    successful writes count against the limit."""

    def get_throttles(self) -> list[Any]:
        # DRF builds the throttles once per request, in check_throttles; keep them.
        self.request_throttles = super().get_throttles()  # type: ignore[misc]
        return self.request_throttles

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        if response.status_code >= 400:
            for throttle in getattr(self, "request_throttles", []):
                if isinstance(throttle, _AccountWriteThrottle):
                    throttle.release()
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class ReviewCreateThrottle(_AccountWriteThrottle):
    scope = "review_create"
    methods = frozenset({"POST"})


class ReviewEditThrottle(_AccountWriteThrottle):
    # Every edit is a revision and an audit event: bound how many one account can make.
    scope = "review_edit"
    methods = frozenset({"PATCH"})


class ReviewVoteThrottle(_AccountWriteThrottle):
    scope = "review_vote"
    methods = frozenset({"PUT", "DELETE"})


class ReviewReportThrottle(_AccountWriteThrottle):
    scope = "review_report"
    methods = frozenset({"POST"})


class ReviewReplyThrottle(_AccountWriteThrottle):
    # Provider replies: writing, editing and deleting one, per account.
    scope = "review_reply"
    methods = frozenset({"POST", "PATCH", "DELETE"})
