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

**The direct read.** A view may also declare `direct_read(request, **kwargs)`, returning a
`DirectRead` (the cache keys of the document this request would be served, and how to answer
from what is found) or None. Then a warm anonymous read builds no DRF Request at all: the
throttle's charge is computed as AnonRateThrottle computes it (config.throttles.direct_charge),
one round trip counts it and reads the document (a conditional GET: the head alone, no
charge, and only a 304 is answered here), and the answer gets what finalize_response adds
(DRF's default headers). Anything else falls through to the path above, which answers as DRF
does: a miss (the client is marked counted, so DRF's throttle does not count it again), a
refusal (remembered by the throttle, which then answers the 429 itself), a key not looked up
here yet or refused (DRF's 401), an Accept a negotiating view must judge, a cache outage.
Only views whose throttles count an anonymous read as AnonRateThrottle does get one.
"""

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.regex_helper import _lazy_re_compile
from rest_framework.exceptions import Throttled
from rest_framework.request import Request

from config import throttles
from config.api import FirstRendererNegotiation
from config.cache import hot_get_many
from config.redis_health import fallback_log

logger = logging.getLogger(__name__)

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
    direct = _Direct.of(cls, initkwargs, knows_readers=knows_readers, negotiates=negotiates)

    @functools.wraps(drf_view)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            request.method not in _READS
            or (knows_readers and has_credentials(request))
            or not settings.PUBLIC_READS_FAST_PATH
        ):
            return drf_view(request, *args, **kwargs)
        if direct is not None:
            answered = direct.answer(request, kwargs)
            if answered is not None:
                return answered
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


@dataclass(frozen=True)
class DirectRead:
    """What a warm anonymous read of a view needs of the cache, from a view's `direct_read`:
    the keys to read (with the throttle's counter, in one round trip) and how to answer from
    what was found, or None for a miss; the same for a conditional request (no counter: a
    304 is free), whose `conditional_answer` may only answer 304 (None otherwise)."""

    keys: Sequence[str]
    answer: Callable[[dict[str, Any]], HttpResponseBase | None]
    conditional_keys: Sequence[str]
    conditional_answer: Callable[[dict[str, Any]], HttpResponseBase | None]


# What a view that negotiates answers without negotiating: no Accept, or one JSON satisfies.
_PLAIN_ACCEPT = _lazy_re_compile(r"^(?:\*/\*|application/json|application/\*)?$")


@dataclass(frozen=True)
class _Direct:
    """The direct read of one view class: a warm anonymous GET or HEAD answered from one
    cache round trip, without a DRF Request, its throttle and permission classes or its
    finalize_response (whose effect, the default headers, is applied here). Anything it does
    not fully handle falls back to the fast path, which answers as DRF does."""

    cls: Any
    headers: dict[str, str]  # DRF's default response headers (`Allow`, `Vary`)
    knows_readers: bool
    negotiates: bool

    @classmethod
    def of(cls, view: Any, initkwargs: dict, **flags: bool) -> "_Direct | None":
        """For a view that has `direct_read`, `throttle_on_read` and only throttles that a
        read of an anonymous client meets as AnonRateThrottle (config.throttles)."""
        if getattr(view, "direct_read", None) is None:
            return None
        # The direct read counts the client as AnonRateThrottle does, through the read
        # charge: only where DRF would count the same (found in review: a view without
        # AnonRateThrottle, or not opted in, would be counted here and not there).
        if not getattr(view, "throttle_on_read", False):
            return None
        if throttles.AnonRateThrottle not in view.throttle_classes:
            return None
        for throttle in view.throttle_classes:
            counts_reads = not _READS.isdisjoint(getattr(throttle, "methods", _READS))
            if counts_reads and throttle not in _ANONYMOUS_THROTTLES:
                return None
        instance = view(**initkwargs)
        if hasattr(instance, "get") and not hasattr(instance, "head"):
            instance.head = instance.get  # as View.setup does: HEAD is in `Allow`
        headers = dict(instance.default_response_headers)
        return cls(view, headers, **flags)

    def answer(self, request: HttpRequest, kwargs: dict[str, Any]) -> HttpResponseBase | None:
        if self.negotiates and not _PLAIN_ACCEPT.match(request.META.get("HTTP_ACCEPT", "")):
            return None
        read = self.cls.direct_read(request, **kwargs)
        if read is None:
            return None
        try:
            charge = throttles.direct_charge(request)
        except throttles.Undecided:
            return None
        if charge is not None and throttles.refused_wait(charge) is not None:
            return None  # DRF's throttle refuses it from the same memory, with its 429
        if "HTTP_IF_NONE_MATCH" in request.META:
            response = self._conditional(read)
        else:
            response = self._counted(request, read, charge)
        if response is None:
            return None
        return self._finalized(request, response)

    @staticmethod
    def _conditional(read: DirectRead) -> HttpResponseBase | None:
        # Charged only once the answer is known (none for a 304): anything else falls back,
        # where ThrottleSettleMiddleware charges it.
        try:
            found = hot_get_many(read.conditional_keys)
        except Exception:
            fallback_log(logger, "document cache unreachable; the read falls back")
            return None
        response = read.conditional_answer(found)
        return response if response is not None and response.status_code == 304 else None

    @staticmethod
    def _counted(
        request: HttpRequest, read: DirectRead, charge: "throttles._Charge | None"
    ) -> HttpResponseBase | None:
        try:
            found = throttles.read_counted(charge, read.keys)
        except Throttled:
            return None  # remembered as refused: DRF's throttle answers the 429
        except Exception:
            fallback_log(logger, "document cache unreachable; the read falls back")
            return None
        response = read.answer(found)
        if response is None and charge is not None:
            # A miss: DRF's dispatch renders it, and its throttle must not count it twice.
            request.__dict__[throttles.CHARGED] = charge.ident
        return response

    def _finalized(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if self.knows_readers:
            # As the fast path: the session is marked read (SessionMiddleware: Vary: Cookie).
            bool(getattr(request, "user", None))
        # What DRF's finalize_response does with an HttpResponse: its default headers.
        for name, value in self.headers.items():
            if name == "Vary":
                patch_vary_headers(response, [v.strip() for v in value.split(",")])
            else:
                response[name] = value
        return response


_ANONYMOUS_THROTTLES = (throttles.AnonRateThrottle, throttles.UserRateThrottle)


class PublicReadMixin:
    """Put first in the bases of an APIView whose GET serves a public document: its GET and
    HEAD skip most of DRF's dispatch (see the module)."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)  # type: ignore[misc]
        if cls.versioning_class is not None:  # type: ignore[attr-defined]
            raise TypeError(f"{cls.__name__}: versioning is not served by PublicReadMixin")
        return _fast_view(cls, view, initkwargs)
