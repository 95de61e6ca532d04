"""Request plumbing that runs before any view: a request id, and hostile input refused early.

`RequestIdMiddleware` goes first in MIDDLEWARE: every log record written while the request
is served carries its id (`config.log.RequestIdFilter`), the response says it in
`X-Request-ID`, and a 500 body repeats it, so a person's report finds the traceback.

`AllauthAtomicMiddleware` (last) makes each of allauth's writing requests one transaction.

`HostileInputMiddleware` answers 400/413 with our JSON error body for input no view should
ever see: control characters in the query or headers (a NUL reaches PostgreSQL, which
refuses it with a 500; path parameters are bounded by their URL converters), JSON nested
deeper than any body of ours (Python's parser recurses: a thousand levels is a
RecursionError), bodies above DATA_UPLOAD_MAX_MEMORY_SIZE. A cookie
with control characters is dropped instead (a bad `sessionid` means an anonymous session).
It covers every JSON parser behind it: DRF's and allauth's headless views, which parse
`request.body` themselves.
"""

import logging
import re
import uuid
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api import _DRF_CODES as DRF_CODES  # the codes DRF errors get
from config.api import error_body
from config.log import request_id_var

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is short and plain (a proxy's or a client's trace id).
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

# C0 controls except tab, and DEL. (Tab is legal in header values; newlines never get here.)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Prefixes whose every answer is JSON (allauth's headless API and ours).
JSON_PREFIXES = ("/api/", "/_allauth/")
# No body of ours nests deeper than a few levels; 32 leaves room and stays far from the
# recursion limit of any parser.
JSON_MAX_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def is_json_path(path: str) -> bool:
    return path.startswith(JSON_PREFIXES)


def request_id_get(request: HttpRequest) -> str:
    return getattr(request, "request_id", None) or request_id_var.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def json_nesting_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON text `body` nests arrays/objects deeper than `limit` (brackets
    inside strings do not count). Not a validator: a parser judges the rest."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


_STATUS_CODES = {**DRF_CODES, 413: "request_too_large", 500: "server_error"}


def _json_error_response(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error under the JSON prefixes that came back as something else (an empty 405 or
    400 from a Django or allauth view) becomes our error body, same status and headers."""
    if response.get("Content-Type", "").startswith("application/json"):
        return response
    status = response.status_code
    code = _STATUS_CODES.get(status, "error")
    try:
        message = HTTPStatus(status).phrase
    except ValueError:
        message = code
    body = error_body(code, message)
    if status >= 500:
        body["request_id"] = request_id_get(request)
    replacement = JsonResponse(body, status=status)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            replacement[header] = response[header]
    return replacement


def _bad_request(code: str, message: str, status: int = 400) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


class HostileInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        self._drop_bad_cookies(request)
        response = self.get_response(request)
        if is_json_path(request.path) and response.status_code >= 400:
            return _json_error_response(request, response)
        return response

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        query = request.META.get("QUERY_STRING", "")
        if "%" in query or _CONTROL.search(query):
            for key, values in request.GET.lists():
                if any(_CONTROL.search(text) for text in (key, *values)):
                    # The same body as a serializer's 400, naming the parameter.
                    fields = {key: ["Must not contain control characters."]}
                    body = error_body("validation_error", "The request has invalid fields.", fields)
                    return JsonResponse(body, status=400)
        for name, value in request.META.items():
            is_header = name.startswith("HTTP_") and name != "HTTP_COOKIE"
            if is_header and isinstance(value, str) and _CONTROL.search(value):
                header = name[5:].replace("_", "-").title()
                return _bad_request("invalid_header", f"Header {header} has control characters.")
        if is_json_path(request.path) and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            return self._body_refusal(request)
        return None

    def _body_refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            body = request.body
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return _bad_request(
                "request_too_large", f"The request body exceeds {limit} bytes.", status=413
            )
        # Every body under these prefixes is JSON. Not only UTF-8: json.loads(bytes) also
        # reads UTF-16/32 and a BOM, where each bracket is still one byte of its own.
        if json_nesting_depth_exceeds(body, JSON_MAX_DEPTH):
            return _bad_request(
                "json_too_deep", f"JSON may nest at most {JSON_MAX_DEPTH} levels deep."
            )
        return None

    @staticmethod
    def _drop_bad_cookies(request: HttpRequest) -> None:
        """A cookie with control characters is treated as absent (an anonymous session for
        a bad `sessionid`): browsers never send one, so it was crafted."""
        for name in [n for n, v in request.COOKIES.items() if _CONTROL.search(n + v)]:
            del request.COOKIES[name]


# allauth's flows (its headless API, and the admin's sign-in pages) write in several
# autocommitted steps: the user, its address, the profile, then the verification mail's
# outbox row. Wrapped in one transaction, a sign-up that fails half-way leaves neither an
# account nor a mail behind. Our own views need no wrapping: their services are atomic.
ALLAUTH_PREFIXES = ("/_allauth/", "/accounts/")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class AllauthAtomicMiddleware:
    """Last in MIDDLEWARE (innermost): one transaction around each of allauth's writing
    requests, rolled back when the answer is a 5xx (Django turns a view's exception into a
    500 response before it reaches this middleware). The session is saved after, outside
    it, by SessionMiddleware; on-commit work (the outbox's publish) runs at its end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in _SAFE_METHODS or not request.path.startswith(ALLAUTH_PREFIXES):
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
