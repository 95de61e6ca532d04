"""OpenAPI pieces only the review views use; shared ones are in `config.openapi`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

REVIEW_ID_PARAMETER = OpenApiParameter(
    "review_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The review's id."
)

REPLY_ID_PARAMETER = OpenApiParameter(
    "reply_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The reply's id."
)
