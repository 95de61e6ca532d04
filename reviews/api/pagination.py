"""Keyset cursor pagination for public review lists.

DRF's CursorPagination keys the cursor on the first ordering field only and skips ties with
an offset capped at 1000: with thousands of 5-star reviews, "highest first" would repeat
pages. Here the cursor holds the values of every ordering field, and every ordering ends in
`id`, so each row has a unique position: no offsets, no skipped or repeated reviews, and each
page is one indexed range query however deep the client goes.
"""

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model, Q, QuerySet
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from config.pagination import BoundedPageSize, InvalidCursor, cursor_decode, cursor_encode

_CURSOR_KIND = "keyset"
_BIGINT_MAX = 2**63 - 1


def _reversed(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(field[1:] if field.startswith("-") else f"-{field}" for field in ordering)


def _after(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering`: (a > A) or (a = A and b > B) or ..."""
    branches, ties = [], Q()
    for field, value in zip(ordering, values, strict=True):
        name = field.lstrip("-")
        operator = "lt" if field.startswith("-") else "gt"
        branches.append(ties & Q(**{f"{name}__{operator}": value}))
        ties &= Q(**{name: value})
    result = branches[0]
    for branch in branches[1:]:
        result |= branch
    return result


def _concrete_field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):  # orderings name columns, never a reverse relation
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


class KeysetCursorPagination(BoundedPageSize, CursorPagination):
    """Cursor pagination over a unique ordering that the view sets (`paginator.ordering`),
    with a bounded page size; a bad `cursor` or `page_size` is a 400 naming it. Cursors are
    opaque (`config.pagination`): the position inside, which ends in a row id, is encrypted.
    The envelope is the API's one: `count` (one COUNT of the filtered rows), `next`,
    `previous`, `results`."""

    ordering: tuple[str, ...] = ("-id",)

    def get_ordering(self, request: Request, queryset: QuerySet, view: APIView | None) -> tuple:
        return tuple(self.ordering)

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        payload = cursor_decode(encoded, _CURSOR_KIND)
        position, reverse = payload.get("p"), payload.get("r")
        if not isinstance(position, str) or not isinstance(reverse, bool):
            raise InvalidCursor()
        # A string, as DRF's own positions are (the stubs type it as an int).
        return Cursor(offset=0, reverse=reverse, position=position)  # type: ignore[arg-type]

    def encode_cursor(self, cursor: Cursor) -> str:
        token = cursor_encode(
            {"kind": _CURSOR_KIND, "r": bool(cursor.reverse), "p": cursor.position}
        )
        return replace_query_param(self.base_url or "", self.cursor_query_param, token)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def _get_position_from_instance(self, instance: Model, ordering: Sequence[str]) -> str:
        values = [_encode(getattr(instance, field.lstrip("-"))) for field in ordering]
        return json.dumps({"k": list(ordering), "v": values})

    def _position_values(self, position: str, model: type[Model]) -> list[Any]:
        fields = [_concrete_field(model, name.lstrip("-")) for name in self.ordering]
        try:
            decoded = json.loads(position)
            if decoded["k"] != list(self.ordering):
                raise ValueError("the cursor belongs to another ordering")
            values = [f.to_python(v) for f, v in zip(fields, decoded["v"], strict=True)]
        except (TypeError, ValueError, KeyError, OverflowError, DjangoValidationError):
            raise InvalidCursor() from None
        # Cursors come back from clients: a value we never issue (a null, an integer past
        # PostgreSQL's bigint) would fail in the database, so it is refused here with a 400.
        if any(v is None or (isinstance(v, int) and abs(v) > _BIGINT_MAX) for v in values):
            raise InvalidCursor()
        return values

    # Narrower than DRF's signature on purpose: keyset pages are ranges in SQL, so only a
    # QuerySet will do (DRF's own CursorPagination orders the queryset too).
    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list:
        self.request = request
        self.page_size = page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        reverse = bool(self.cursor and self.cursor.reverse)
        # A string: `decode_cursor` above made it.
        current = cast(str | None, self.cursor.position if self.cursor else None)
        ordering = _reversed(self.ordering) if reverse else self.ordering
        self.count = queryset.order_by().count()
        queryset = queryset.order_by(*ordering)
        if current is not None:
            values = self._position_values(current, queryset.model)
            queryset = queryset.filter(_after(ordering, values))
        results = list(queryset[: page_size + 1])
        following = (
            self._get_position_from_instance(results[-1], self.ordering)
            if len(results) > page_size
            else None
        )
        self.page = self._set_links_state(results[:page_size], reverse, current, following)
        return self.page

    def _set_links_state(
        self, page: list[Any], reverse: bool, current: str | None, following: str | None
    ) -> list[Any]:
        """`page` in display order, after setting the bookkeeping DRF's `get_next_link` /
        `get_previous_link` read. With unique positions their offset logic always finds a
        marker, so offsets stay 0."""
        if reverse:
            page = list(reversed(page))
            self.has_next, self.has_previous = current is not None, following is not None
            self.next_position, self.previous_position = current, following
        else:
            self.has_next, self.has_previous = following is not None, current is not None
            self.next_position, self.previous_position = following, current
        self.display_page_controls = False
        return page
