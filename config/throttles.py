"""DRF's default throttles, failing open when the shared cache is unreachable.

The counters live in the cache (Redis). If it is down, refusing every request (a 500 from
the cache client) would turn a cache outage into an API outage, including the writes that
must keep working (a moderator verifying a review); the throttles are abuse protection,
not a rule of the domain, so during the outage they let requests through and log it.
"""

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework import throttling

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class FailOpen(throttling.BaseThrottle):
    """Put first among a throttle's bases: wraps the `allow_request` of the one after it."""

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning("throttle cache unreachable; request let through", exc_info=True)
            return True


class AnonRateThrottle(FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpen, throttling.UserRateThrottle):
    pass
