"""Shared API plumbing: one error body for every 4xx, and bounded pagination.

Every error response has the shape
    {"code": "<stable_code>", "message": "<for people>", "fields": {"<name>": ["..."]}}
where `fields` appears only for validation errors.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from rest_framework import exceptions, pagination, serializers, status
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
        help_text="Per query parameter or field: what is wrong. Only on validation errors.",
    )


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


def _flatten_detail(detail: Any) -> Any:
    """Turn DRF's ErrorDetail trees into plain lists of strings per field."""
    if isinstance(detail, dict):
        return {key: _flatten_detail(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [str(item) for item in detail]
        return [_flatten_detail(item) for item in detail]
    return [str(detail)]


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
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            "validation_error", "The request has invalid fields.", _flatten_detail(detail)
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


PAGE_FIELD_DESCRIPTIONS = {
    "count": "How many items match, on all pages.",
    "next": "Link to the next page; null on the last.",
    "previous": "Link to the previous page; null on the first.",
    "results": "The items of this page.",
}


def describe_page_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A paginator's response schema with every envelope field described (the docs promise
    a description for every field)."""
    for name, field in schema.get("properties", {}).items():
        if name in PAGE_FIELD_DESCRIPTIONS:
            field.setdefault("description", PAGE_FIELD_DESCRIPTIONS[name])
    return schema


PAGE_SIZE_QUERY_PARAM = "page_size"


class BoundedPageSize(pagination.BasePagination):
    """A client-chosen page size (`page_size`) within bounds, and the page envelope described
    in the schema; for every paginator of the API.

    An out-of-range or non-numeric `page_size` is a 400 naming the parameter, not a silent
    fallback, so a client learns its request was not what it meant.
    """

    # What DRF reads for the schema, typed as DRF types them (where None switches a feature
    # off); `get_page_size` enforces the same bounds from their (never None) sources.
    page_size: int | None = settings.API_DEFAULT_PAGE_SIZE
    page_size_query_param: str | None = PAGE_SIZE_QUERY_PARAM
    max_page_size: int | None = settings.API_MAX_PAGE_SIZE

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return describe_page_schema(super().get_paginated_response_schema(schema))

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(PAGE_SIZE_QUERY_PARAM)
        if raw is None:
            return settings.API_DEFAULT_PAGE_SIZE
        size = int(raw) if raw.isdigit() else 0
        if not 1 <= size <= settings.API_MAX_PAGE_SIZE:
            message = f"Must be a whole number from 1 to {settings.API_MAX_PAGE_SIZE}."
            raise exceptions.ValidationError({PAGE_SIZE_QUERY_PARAM: [message]})
        return size


class PageNumberPagination(BoundedPageSize, pagination.PageNumberPagination):
    """Page numbers with a bounded, client-chosen page size."""


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
