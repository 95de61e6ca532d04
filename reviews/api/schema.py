"""OpenAPI pieces the review views share."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from config.api import ErrorOutputSerializer

REVIEW_ID_PARAMETER = OpenApiParameter(
    "review_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The review's id."
)
BAD_REQUEST = {400: ErrorOutputSerializer}
NOT_FOUND = {404: ErrorOutputSerializer}
CONFLICT = {409: ErrorOutputSerializer}
WRITE_ERRORS = {
    400: ErrorOutputSerializer,
    401: ErrorOutputSerializer,
    403: ErrorOutputSerializer,
    429: ErrorOutputSerializer,
}
