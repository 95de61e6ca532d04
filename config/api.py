"""Shared API plumbing: one error body for every 4xx, and bounded pagination.

Every error response has the shape
    {"code": "<stable_code>", "message": "<for people>", "fields": {"<name>": ["..."]}}
where `fields` appears only for validation errors.
"""

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.exceptions import ApplicationError

_DRF_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


class ErrorOutputSerializer(serializers.Serializer):
    """The one error body of every 4xx response (documentation only)."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `model_not_found`.")
    message = serializers.CharField(help_text="Explanation for people; may change.")
    # A declared field, which DRF takes off the class: not `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per query parameter or field (nested ones as dotted paths, e.g. "
        "`sub_ratings.quality`, items of a list by index, `items.0.name`): what is wrong. Only "
        "on errors about the input.",
    )
    request_id = serializers.CharField(
        required=False,
        help_text="Only on 500: the id of the request, also in `X-Request-ID` and our logs.",
    )


@functools.lru_cache(maxsize=8192)
def _path(urlconf: str, prefix: str, name: str, kwargs: tuple[tuple[str, Any], ...]) -> str:
    return reverse(name, kwargs=dict(kwargs))


def _route_path(name: str, kwargs: dict[str, Any]) -> str:
    """`reverse(name, kwargs=kwargs)`, remembered: a list links each item three times (the
    review, its model, its author), about 60 µs of URL resolution each, and the same items
    again on the next request (the queue's head, a model's reviews). A path depends only on
    the URLconf, the script prefix, the name and the arguments, all in the key; values that
    cannot be a key are resolved as before."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    try:
        return _path(str(urlconf), get_script_prefix(), name, tuple(sorted(kwargs.items())))
    except TypeError:  # an unhashable argument
        return reverse(name, kwargs=kwargs)


def absolute_url(context: Mapping[str, Any], name: str, **kwargs: Any) -> str:
    """The absolute URL of the route `name` (`app:route`), as every representation links:
    on the request's origin (serializer context `request`), else on `API_ORIGIN` (webhook
    payloads and other bodies rendered outside a request)."""
    path = _route_path(name, kwargs)
    request = context.get("request")
    if request is not None:
        return str(request.build_absolute_uri(path))
    return f"{settings.API_ORIGIN}{path}"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


def flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's ErrorDetail trees as one flat map: dotted paths to lists of strings.

    `{"sub_ratings": {"quality": ["..."]}}` becomes `{"sub_ratings.quality": ["..."]}` and
    the errors of a list's third item `{"items.2.name": [...]}`, so the body matches the
    schema (a map of string lists) however deep the serializer that refused it.
    """
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(flatten_fields(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    name = prefix or "non_field_errors"
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {name: [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            if item:  # a list serializer reports `{}` for the items that were fine
                flat.update(flatten_fields(item, f"{name}.{index}"))
        return flat
    return {name: [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body = error_body(exc.code, exc.message, exc.extra.get("fields"))
        # Other keys an error carries (e.g. `existing_review` of a 409 `review_exists`) are
        # part of its documented body; they never replace the three common ones.
        body.update({k: v for k, v in exc.extra.items() if k != "fields" and k not in body})
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "validation_error", "The request has invalid fields.", flatten_fields(exc.detail)
        )
        return response

    code = _DRF_CODES.get(response.status_code, "error")
    if isinstance(exc.detail, dict):
        message = "; ".join(str(v) for v in exc.detail.values())
    elif isinstance(exc.detail, list):
        message = "; ".join(str(v) for v in exc.detail)
    else:
        message = str(exc.detail)
        code = getattr(exc.detail, "code", None) or code
        if code in {"error", "invalid"}:
            code = _DRF_CODES.get(response.status_code, "error")
    response.data = error_body(code, message)
    return response


class FirstRendererNegotiation(BaseContentNegotiation):
    """No negotiation: a view with this answers one media type whatever the Accept header
    (an <img> asks for images; any client of a JSON document gets JSON), and errors are
    rendered by the first renderer, JSON, in the one error body. Also spares hot paths the
    parsing of Accept."""

    def select_renderer(
        self, request: HttpRequest, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type
