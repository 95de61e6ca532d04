"""One pagination idiom for every list of the API: an opaque `cursor` and one page envelope.

Every list answers `{"count", "next", "previous", "results"}`; `next` and `previous` are
absolute links carrying a `cursor` query parameter; a client follows them and never builds a
cursor itself. A cursor is encrypted and authenticated (AES-SIV, key derived from SECRET_KEY):
it reveals nothing (no row ids, no page arithmetic) and cannot be forged, so an altered,
truncated or foreign cursor is a 400 `invalid_cursor` naming the parameter, never a 404 or a
500. A cursor past the end of a list that shrank is the same 400 (follow `next` again from
the first page). AES-SIV is deterministic on purpose: the same position always gives the same
cursor, so a page's body, and the ETag over it, are the same on every request (a randomised
cipher such as Fernet made every later page a new body and every 304 impossible). The size
of a page is `page_size` (1 to API_MAX_PAGE_SIZE).

Two implementations under that one contract: numbered pages (`CursorPagePagination`, for
lists of hundreds: catalog, moderation, one's own items) and keyset positions
(`reviews.api.pagination.KeysetCursorPagination`, for long lists that must not skip or
repeat rows while they change).
"""

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.conf import settings
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from config.exceptions import ApplicationError

CURSOR_QUERY_PARAM = "cursor"
PAGE_SIZE_QUERY_PARAM = "page_size"
_MAX_CURSOR_LENGTH = 2048

PAGE_FIELD_DESCRIPTIONS = {
    "count": "How many items match, on all pages.",
    "next": "Link to the next page (follow it as given); null on the last.",
    "previous": "Link to the previous page (follow it as given); null on the first.",
    "results": "The items of this page.",
}


class InvalidCursor(ApplicationError):
    code = "invalid_cursor"
    status_code = 400
    default_message = (
        "Invalid cursor: follow a `next` or `previous` link as given, or start from the first page."
    )

    def __init__(self) -> None:
        super().__init__(field=CURSOR_QUERY_PARAM)


@lru_cache(maxsize=4)
def _cipher(secret_key: str) -> AESSIV:
    return AESSIV(hashlib.sha512(f"api.cursor:{secret_key}".encode()).digest())


def cursor_encode(payload: dict[str, Any]) -> str:
    plain = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    token = _cipher(settings.SECRET_KEY).encrypt(plain, None)
    return base64.urlsafe_b64encode(token).decode("ascii").rstrip("=")


def cursor_decode(raw: str, kind: str) -> dict[str, Any]:
    """The payload of a cursor this server issued for lists of `kind`; InvalidCursor else."""
    if not raw or len(raw) > _MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        padded = raw + "=" * (-len(raw) % 4)
        token = base64.urlsafe_b64decode(padded.encode("ascii"))
        payload = json.loads(_cipher(settings.SECRET_KEY).decrypt(token, None))
    except (InvalidTag, UnicodeError, ValueError):
        raise InvalidCursor() from None
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise InvalidCursor()
    return payload


def describe_page_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A paginator's response schema with every envelope field described and required."""
    properties = schema.get("properties", {})
    for name, field in properties.items():
        if name in PAGE_FIELD_DESCRIPTIONS:
            field.setdefault("description", PAGE_FIELD_DESCRIPTIONS[name])
    schema["required"] = [name for name in PAGE_FIELD_DESCRIPTIONS if name in properties]
    return schema


def page_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return describe_page_schema(
        {
            "type": "object",
            "properties": {
                "count": {"type": "integer", "example": 123},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
    )


def cursor_parameters() -> list[dict[str, Any]]:
    return [
        {
            "name": CURSOR_QUERY_PARAM,
            "required": False,
            "in": "query",
            "description": "Opaque position from a `next` or `previous` link; absent for the "
            "first page. A cursor this server did not issue is a 400 `invalid_cursor`.",
            "schema": {"type": "string"},
        },
        {
            "name": PAGE_SIZE_QUERY_PARAM,
            "required": False,
            "in": "query",
            "description": f"Items per page, 1 to {settings.API_MAX_PAGE_SIZE} (default "
            f"{settings.API_DEFAULT_PAGE_SIZE}).",
            "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
        },
    ]


class BoundedPageSize(pagination.BasePagination):
    """A client-chosen page size (`page_size`) within bounds, and the one page envelope in
    the schema; for every paginator of the API.

    An out-of-range or non-numeric `page_size` is a 400 naming the parameter, not a silent
    fallback, so a client learns its request was not what it meant.
    """

    # What DRF reads, typed as DRF types them (where None switches a feature off);
    # `get_page_size` enforces the same bounds from their (never None) sources.
    page_size: int | None = settings.API_DEFAULT_PAGE_SIZE
    page_size_query_param: str | None = PAGE_SIZE_QUERY_PARAM
    max_page_size: int | None = settings.API_MAX_PAGE_SIZE

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return page_schema(schema)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return cursor_parameters()

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(PAGE_SIZE_QUERY_PARAM)
        if raw is None:
            return settings.API_DEFAULT_PAGE_SIZE
        size = int(raw) if raw.isdigit() and len(raw) < 6 else 0
        if not 1 <= size <= settings.API_MAX_PAGE_SIZE:
            message = f"Must be a whole number from 1 to {settings.API_MAX_PAGE_SIZE}."
            raise exceptions.ValidationError({PAGE_SIZE_QUERY_PARAM: [message]})
        return size


class CursorPagePagination(BoundedPageSize, pagination.PageNumberPagination):
    """Numbered pages behind opaque cursors: the cursor carries the page number, encrypted,
    and the view it belongs to (a cursor of one list is refused by another)."""

    page_query_param = CURSOR_QUERY_PARAM

    def _kind(self) -> str:
        view = getattr(self, "_view", None)
        return f"page:{type(view).__name__}"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self._view = view
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            # DRF's "Invalid page." for a page past the end: a cursor this list no longer
            # has (it shrank), so the same 400 as any cursor it cannot follow.
            raise InvalidCursor() from None

    def get_page_number(self, request: Request, paginator: Any) -> int:
        raw = request.query_params.get(CURSOR_QUERY_PARAM)
        if raw is None:
            return 1
        number = cursor_decode(raw, self._kind()).get("page")
        if not isinstance(number, int) or number < 1:
            raise InvalidCursor()
        return number

    def _page_link(self, number: int) -> str:
        url = self.request.build_absolute_uri()  # type: ignore[union-attr]
        if number == 1:
            return remove_query_param(url, CURSOR_QUERY_PARAM)
        token = cursor_encode({"kind": self._kind(), "page": number})
        return replace_query_param(url, CURSOR_QUERY_PARAM, token)

    def get_next_link(self) -> str | None:
        if self.page is None or not self.page.has_next():
            return None
        return self._page_link(self.page.next_page_number())

    def get_previous_link(self) -> str | None:
        if self.page is None or not self.page.has_previous():
            return None
        return self._page_link(self.page.previous_page_number())
