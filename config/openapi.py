"""OpenAPI building blocks every app's views share: error responses and path parameters."""

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
