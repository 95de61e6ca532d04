"""Strict input for the whole API, from its own OpenAPI schema: what the schema does not
declare is refused, never silently ignored.

- a query parameter an operation does not declare: 400 `unknown_parameter`;
- a declared parameter sent twice (unless it is a declared array): 400
  `repeated_parameter` (which of the two would count is a guess);
- a JSON body key the operation's request schema does not declare, at any depth: 400
  `unknown_field`, named by its dotted path (`sub_ratings.qualty`).

A name the API renamed (RENAMED) is refused like any other, and the refusal says what to
send instead when the operation takes the new name at that place (`rating` -> `stars`).

One mechanism for every view, so a new view or parameter cannot forget it, and the schema
cannot drift from what is accepted: the allowed names *are* the schema's. The schema is built
once per process, on the first API request (drf-spectacular, the same generator as
`/api/schema/`), and each request then costs a dict lookup. Paths outside /api/v1/ (allauth's
headless API, feeds, the admin) are not checked here.
"""

import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api import error_body

API_PREFIX = "/api/v1/"
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_JSON_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Old name -> new name of inputs renamed after clients were built on them (README "API
# contract" changelog): a review's own score was `rating`, the name of a model's summary.
RENAMED = {"rating": "stars"}


@dataclass(frozen=True)
class Operation:
    """What one path and method accept: query parameter names (those that may repeat) and
    the JSON body's schema (None: no body declared)."""

    query: frozenset[str]
    repeatable: frozenset[str]
    body: dict[str, Any] | None
    components: dict[str, Any] = field(repr=False, compare=False, hash=False)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A schema with `$ref` and single-item `allOf` wrappers followed (spectacular's
    shapes); anything else as is."""
    for _ in range(16):
        if "$ref" in schema:
            schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        elif len(schema.get("allOf", ())) == 1:
            schema = schema["allOf"][0]
        else:
            break
    return schema


def _operation(operation: dict[str, Any], components: dict[str, Any]) -> Operation:
    query, repeatable = set(), set()
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        query.add(parameter["name"])
        schema = parameter.get("schema", {})
        if schema.get("type") == "array" and parameter.get("explode", True):
            repeatable.add(parameter["name"])
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    return Operation(frozenset(query), frozenset(repeatable), body, components)


# drf-spectacular's generator is not thread-safe (it loads its extension classes lazily,
# leaving a class attribute None meanwhile): two threads of one gthread worker building the
# table at once answered 500 (found by tests/fleet/test_fleet.py). One build per process.
BUILD_LOCK = threading.Lock()


def operations() -> dict[tuple[str, str], Operation]:
    """(path template, METHOD) -> Operation, for every operation under /api/v1/."""
    with BUILD_LOCK:
        return _operations()


@lru_cache(maxsize=1)
def _operations() -> dict[tuple[str, str], Operation]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    result = {}
    for path, item in schema["paths"].items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                result[(path, method.upper())] = _operation(operation, components)
    return result


@lru_cache(maxsize=512)
def _template(route: str) -> str:
    """A URL pattern's route (`api/v1/models/<str:provider>/`) as the schema's path
    (`/api/v1/models/{provider}/`)."""
    return "/" + _CONVERTER.sub(r"{\1}", route)


def unknown_fields(value: Any, schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """Dotted paths of the keys in `value` that `schema` does not declare, at any depth."""
    schema = _resolve(schema, components)
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                sub = properties[key]
            elif isinstance(extra, dict):
                sub = extra
            elif properties is not None and extra is not True:
                found.append(str(key))
                continue
            else:
                continue
            found.extend(f"{key}.{path}" for path in unknown_fields(item, sub, components))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found.extend(
                f"{index}.{path}" for path in unknown_fields(item, schema["items"], components)
            )
    return found


def _declared(path: str, schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The property names declared beside the last key of the dotted `path` (at its depth)."""
    for part in path.split(".")[:-1]:
        schema = _resolve(schema, components)
        if part.isdigit() and isinstance(schema.get("items"), dict):
            schema = schema["items"]
        else:
            schema = schema.get("properties", {}).get(part, {})
    return set(_resolve(schema, components).get("properties", {}))


def _renamed(name: str, allowed: set[str] | frozenset[str]) -> str | None:
    """The new name of `name` if it was renamed to one that `allowed` declares."""
    new = RENAMED.get(name)
    return new if new in allowed else None


def _unknown_refusal(
    code: str, message: str, notes: dict[str, str | None], default: str
) -> JsonResponse:
    """A 400 naming each unknown name (`notes`: name -> its new name, if renamed), with
    what to use instead in the message and the name's field entry."""
    hints = [f"`{name}` is now `{new}`" for name, new in notes.items() if new]
    if hints:
        message = f"{message[:-1]} ({'; '.join(hints)})."
    fields = {
        name: [f"Renamed: use `{new}` instead." if new else default] for name, new in notes.items()
    }
    return JsonResponse(error_body(code, message, fields), status=400)


def check_query(request: HttpRequest, operation: Operation) -> HttpResponse | None:
    unknown = [name for name in request.GET if name not in operation.query]
    if unknown:
        allowed = ", ".join(sorted(operation.query)) or "none"
        return _unknown_refusal(
            "unknown_parameter",
            f"Unknown query parameter: {', '.join(unknown)}.",
            {name: _renamed(name, operation.query) for name in unknown},
            f"Unknown query parameter; this operation takes: {allowed}.",
        )
    repeated = [
        name
        for name, values in request.GET.lists()
        if len(values) > 1 and name not in operation.repeatable
    ]
    if repeated:
        return JsonResponse(
            error_body(
                "repeated_parameter",
                f"Query parameter sent more than once: {', '.join(repeated)}.",
                {name: ["Send this parameter once."] for name in repeated},
            ),
            status=400,
        )
    return None


def check_body(request: HttpRequest, operation: Operation) -> HttpResponse | None:
    if operation.body is None or request.content_type != "application/json":
        return None
    try:
        data = json.loads(request.body)
    except ValueError:
        return None  # the view's parser answers a malformed body with its own 400
    unknown = unknown_fields(data, operation.body, operation.components)
    if not unknown:
        return None
    notes = {
        path: _renamed(
            path.rsplit(".", 1)[-1], _declared(path, operation.body, operation.components)
        )
        for path in unknown
    }
    return _unknown_refusal(
        "unknown_field",
        f"Unknown field: {', '.join(unknown)}.",
        notes,
        "Unknown field: not part of this operation's body.",
    )


class StrictInputMiddleware:
    """Refuses what the schema does not declare, before the view runs (see the module)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or not request.path.startswith(API_PREFIX):
            return None
        method = "GET" if request.method == "HEAD" else request.method or ""
        operation = operations().get((_template(match.route), method))
        if operation is None:  # no such operation: the view answers (404, 405)
            return None
        refusal = check_query(request, operation)
        if refusal is None and method in _JSON_METHODS and request.body:
            refusal = check_body(request, operation)
        return refusal
