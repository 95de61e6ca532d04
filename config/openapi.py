"""OpenAPI building blocks every app's views share: error responses and path parameters."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from config.api import ErrorOutputSerializer

BAD_REQUEST = {400: ErrorOutputSerializer}
NOT_FOUND = {404: ErrorOutputSerializer}
CONFLICT = {409: ErrorOutputSerializer}
# What any write can answer besides its own errors: bad input, no session, not allowed
# (unverified, not the author, not a moderator), throttled.
WRITE_ERRORS = {
    400: ErrorOutputSerializer,
    401: ErrorOutputSerializer,
    403: ErrorOutputSerializer,
    429: ErrorOutputSerializer,
}

# `/models/{provider}/{model}/...`: the two path parts of a model's slug.
MODEL_PATH_PARAMETERS = [
    OpenApiParameter(
        "provider", OpenApiTypes.STR, OpenApiParameter.PATH,
        description="Provider part of the slug, e.g. `openai` (or `~openai` for an alias).",
    ),
    OpenApiParameter(
        "model", OpenApiTypes.STR, OpenApiParameter.PATH,
        description="Model part: a slug (`o4-mini`), an alias or a variant (`o4-mini:batch`).",
    ),
]  # fmt: skip

# Writes a client may retry (config.idempotency.mixins.IdempotentWriteMixin).
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description=(
        "Optional, 1-255 printable ASCII characters, unique per intended write (a UUID). A "
        "retry with the same key, method, path and body gets the first answer again (header "
        "`Idempotent-Replayed: true`) without repeating the write, for 24 hours; the same "
        "key with another request is refused with 422 `idempotency_key_reused`, and while "
        "the first request still runs with 409 `idempotency_key_in_flight`."
    ),
)  # fmt: skip
IDEMPOTENCY_ERRORS = {409: ErrorOutputSerializer, 422: ErrorOutputSerializer}

# Conditional reads of pre-rendered public documents (config.documents).
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="An ETag from an earlier answer: 304 Not Modified while it is current.",
)  # fmt: skip
NOT_MODIFIED = {304: OpenApiResponse(description="Not modified: the ETag is current.")}

# --- Response headers ---------------------------------------------------------------------
# Declared where they are sent, so a generated client reads them typed. tests/test_contract.py
# checks the schema declares each where it belongs, and the live answers carry them.
ETAG_HEADER = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304],
    description="Validator of this representation: send it back as `If-None-Match` for a "
    "304. Weak (`W/\"…\"`) on a gzip-encoded answer, which If-None-Match still matches.",
)  # fmt: skip
CACHE_CONTROL_HEADER = OpenApiParameter(
    "Cache-Control", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304],
    description="`public, max-age=30, stale-while-revalidate=60` on public documents; "
    "`private, no-cache` on an answer showing the signed-in reader's own state.",
)  # fmt: skip
LAST_MODIFIED_HEADER = OpenApiParameter(
    "Last-Modified", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304],
    description="HTTP date of the stored summary (informative: 304 is decided by the ETag).",
)  # fmt: skip
# A conditional read: the request's If-None-Match and the answer's validators.
CONDITIONAL_GET = [IF_NONE_MATCH, ETAG_HEADER, CACHE_CONTROL_HEADER]
LOCATION_HEADER = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201],
    description="Absolute URL of the created resource.",
)  # fmt: skip


# --- The contract's shared parts: tags, operation ids, errors per status ------------------

_API_PREFIX = "/api/v1/"


class AutoSchema(openapi.AutoSchema):
    """Operations tagged by resource (`models`, `reviews`, `me`, `moderation`, ...) and
    operation ids without the version prefix (`models_reviews_list`, not
    `v1_models_reviews_list`): stable as long as the path and method are, which a test
    checks for uniqueness."""

    def get_tags(self) -> list[str]:
        if self.path.startswith(_API_PREFIX):
            parts = self.path[len(_API_PREFIX) :].split("/")
            # A model's reviews are the reviews resource, reached through the model.
            if parts[0] == "models" and "reviews" in parts[1:]:
                return ["reviews"]
            if parts[0]:
                return [parts[0]]
        return super().get_tags()

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        return operation_id.removeprefix("v1_")

    def _get_request_body(self, direction: str = "request") -> Any:
        """A DELETE's body when the view reads one (`request_body_on_delete = True` beside
        its `extend_schema(request=...)`, e.g. `DELETE /me/` with the password):
        spectacular documents bodies on POST, PUT and PATCH only, and config.strict refuses
        what the schema does not declare."""
        declared = getattr(self.view, "request_body_on_delete", False)
        if self.method != "DELETE" or not declared:
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


# Every status any operation under /api/ can answer, with what it means there; all carry
# the one error body (`ErrorOutput`). Statuses an operation documents itself (a 409 with
# its own body) are kept.
_ANY_OPERATION = {
    "400": "Bad input: a parameter or field is invalid (`validation_error`, `fields` names "
    "each), an unknown query parameter or body field (`unknown_parameter`, "
    "`unknown_field`), a repeated parameter (`repeated_parameter`), a cursor this server "
    "did not issue (`invalid_cursor`), or a malformed request (`bad_request`).",
    "401": "Credentials were sent but are not valid (`not_authenticated`), or this "
    "operation needs a signed-in account.",
    "403": "Signed in but not allowed (`permission_denied`, `email_not_verified`, ...).",
    "404": "No such resource, or a path parameter that cannot name one (`not_found`, "
    "`model_not_found`, ...).",
    "405": "The path exists but not with this method (`method_not_allowed`); see `Allow`.",
    "406": "The `Accept` header asks for a type this operation cannot answer in.",
    "429": "Too many requests (`throttled`); `Retry-After` says when to try again.",
    "500": "Our fault (`server_error`); `request_id` is the id to quote.",
    "503": "The service sheds load (`overloaded`); `Retry-After` says when to try again.",
}
_WITH_BODY = {
    "413": "The body is larger than the server accepts (`request_too_large`).",
    "415": "The body is not `application/json` (`unsupported_media_type`).",
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the next attempt.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


_RETRY_AFTER = {"429", "503"}


def _error_response(description: str, status: str) -> dict:
    response: dict = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOutput"}}},
    }
    if status in _RETRY_AFTER:
        response["headers"] = RETRY_AFTER_HEADER
    return response


def document_error_responses(result: dict, **kwargs: object) -> dict:
    """Postprocessing hook: every operation under /api/ documents every error status it can
    answer, each with the one error body (and `Retry-After` on 429 and 503)."""
    # spectacular's `BlankEnum` (the "" of a choice field that may be blank) has no type,
    # which generated clients read as `unknown`.
    blank = result.get("components", {}).get("schemas", {}).get("BlankEnum")
    if blank is not None:
        blank.setdefault("type", "string")
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            statuses = dict(_ANY_OPERATION)
            if method in {"post", "put", "patch", "delete"}:
                statuses.update(_WITH_BODY)
            responses = operation.setdefault("responses", {})
            for status, description in statuses.items():
                if status not in responses:
                    responses[status] = _error_response(description, status)
                elif status in _RETRY_AFTER:
                    responses[status].setdefault("headers", RETRY_AFTER_HEADER)
            for status, response in responses.items():
                if status >= "400" and not response.get("description"):
                    response["description"] = statuses.get(status, "Error; see `code`.")
    return result
