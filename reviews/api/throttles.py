"""Per-account rate limits on review writes (counted in the shared cache).

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] under each scope and are read per
request, so an override (an environment variable, a test's settings) takes effect at once.
"""

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

# Fails open while the cache is down: a Redis outage must not turn review writes into 500s.
from config.throttles import UserRateThrottle


class _AccountWriteThrottle(UserRateThrottle):
    """Counts only the write methods listed, per signed-in account."""

    methods: frozenset[str] = frozenset()

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

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
