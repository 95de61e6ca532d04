"""Public reads without most of DRF's dispatch: the hot path of the pre-rendered documents.

A view that serves a public document (the model page, lists, ranks, cost, the first page of
reviews, the rating...) takes `PublicReadMixin` first in its bases. Its `as_view()` is DRF's,
wrapped (functools.wraps: the URL name, `cls`, `initkwargs`, `csrf_exempt`, the schema
generator and config.strict's process_view see DRF's view) by a function that answers a GET
or HEAD itself, running what such a request needs of DRF's `dispatch` and nothing else:

- kept, as DRF's own methods on the view: content negotiation (only for a view that
  negotiates: one with `FirstRendererNegotiation` answers JSON whatever the Accept, and an
  error is negotiated when it is rendered), permissions, throttles (so API keys, the charge
  deferred to the document's read and the 304 that costs no throttle write are the same
  code), the handler itself, `handle_exception` (our error body, `Retry-After`,
  `WWW-Authenticate`) and `finalize_response` (`Allow`, the views' own hooks);
- skipped: parsers (a GET has no body), authenticators and the user lookup (see below),
  format suffixes and versioning (the API uses neither; the mixin refuses a view that does).

Who is served here: a view without authenticators (the catalog's reads: everyone gets the
same answer, credentials or not, as under DRF), or a request that carries no credentials
(no `Authorization`, `X-Session-Token` or session cookie): then every authenticator would
find nobody and the reader is anonymous, as here. A signed-in reader of a view that knows
them (the reviews list: its `viewer` state) goes through DRF's dispatch unchanged.

Why: with the document one Redis round trip away, DRF's per-request machinery (a Request
with parsers and authenticators, allauth's token lookup, two negotiation passes) was most
of what a warm read cost (bench/results, `floor_drf`). tests/test_fast_reads.py checks
that both paths give the same status, headers and body for the same requests.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from rest_framework.request import Request

from config.api import FirstRendererNegotiation

_READS = frozenset({"GET", "HEAD"})
# What signs a request in: DRF's Authorization, allauth's app token (the session cookie is
# checked by name: SESSION_COOKIE_NAME).
CREDENTIAL_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_SESSION_TOKEN")


def has_credentials(request: HttpRequest) -> bool:
    if any(request.META.get(header) for header in CREDENTIAL_HEADERS):
        return True
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _fast_view(cls: Any, drf_view: Callable[..., HttpResponseBase], initkwargs: dict) -> Any:
    knows_readers = bool(cls.authentication_classes)
    negotiates = cls.content_negotiation_class is not FirstRendererNegotiation

    @functools.wraps(drf_view)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            request.method not in _READS
            or (knows_readers and has_credentials(request))
            or not settings.PUBLIC_READS_FAST_PATH
        ):
            return drf_view(request, *args, **kwargs)
        self = cls(**initkwargs)
        self.setup(request, *args, **kwargs)  # Django's: `head` as `get`, args, kwargs
        self.format_kwarg = None
        drf_request = Request(request, negotiator=self.get_content_negotiator())
        self.request = drf_request
        self.headers = self.default_response_headers
        try:
            if negotiates:  # a 406 for an Accept it cannot answer, as under DRF
                negotiated = self.perform_content_negotiation(drf_request)
                drf_request.accepted_renderer, drf_request.accepted_media_type = negotiated
            drf_request.version, drf_request.versioning_scheme = None, None
            if knows_readers:
                # What SessionAuthentication does first (a request without a session cookie
                # has no session to load): the session is marked read, so SessionMiddleware
                # adds `Vary: Cookie` to the answer, as under DRF.
                bool(getattr(request, "user", None))
            self.check_permissions(drf_request)
            self.check_throttles(drf_request)
            handler = getattr(self, request.method.lower())
            response = handler(drf_request, *args, **kwargs)
        except Exception as exc:
            if not negotiates:  # DRF renders the error (and, with DEBUG, an uncaught one) by it
                negotiated = self.perform_content_negotiation(drf_request)
                drf_request.accepted_renderer, drf_request.accepted_media_type = negotiated
            response = self.handle_exception(exc)
        self.response = self.finalize_response(drf_request, response, *args, **kwargs)
        return self.response

    return view


class PublicReadMixin:
    """Put first in the bases of an APIView whose GET serves a public document: its GET and
    HEAD skip most of DRF's dispatch (see the module)."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)  # type: ignore[misc]
        if cls.versioning_class is not None:  # type: ignore[attr-defined]
            raise TypeError(f"{cls.__name__}: versioning is not served by PublicReadMixin")
        return _fast_view(cls, view, initkwargs)
