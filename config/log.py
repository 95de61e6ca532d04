"""Logging helpers: every record carries the id of the request it was written for.

Kept free of Django imports: the logging configuration loads it before apps are ready.
"""

import logging
from contextvars import ContextVar

# Set by config.middleware.RequestIdMiddleware for the duration of a request.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Sets `record.request_id` ("-" outside a request) for the formatter to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a 4xx after the middleware returned; its record names the request.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True
