"""Per-account rate limits on review writes (counted in the shared cache).

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] under each scope and are read per
request, so an override (an environment variable, a test's settings) takes effect at once.
"""

import time
from typing import cast

from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

# Fails open while the cache is down: a Redis outage must not turn review writes into 500s.
from config.throttles import FailOpen


class _AtomicWindowThrottle(throttling.UserRateThrottle):
    """A fixed-window counter per account, incremented atomically in the cache (Redis INCR).

    DRF's own throttles read the request history, then write it back: parallel requests all
    read the same history and all pass, so "10 a day" could be beaten by sending 20 at once.
    Here every counted request increments one counter; windows are aligned to the rate's
    period, which also gives an exact Retry-After.
    """

    # Set by DRF's __init__ from the rate (`parse_rate`); read only once a rate is known.
    num_requests: int
    duration: int

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        base = self.get_cache_key(request, view)
        if base is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        key = f"{base}:{window}"
        # add then incr: the first request of a window creates the counter with its expiry,
        # which outlives the window, so a counter cannot vanish while its window is open.
        # (Atomic on Redis; the file cache of `make run` counts without a lock.)
        self.cache.add(key, 0, self.duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # evicted between the two calls: count this request alone
            self.cache.set(key, 1, self.duration + 1)
            count = 1
        return count <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


class _AccountWriteThrottle(FailOpen, _AtomicWindowThrottle):
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
