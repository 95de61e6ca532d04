"""The rating API: a model's stored summary, its badge, and the methodology. Public reads.

Summaries change only when the pipeline stores a recompute, so responses carry an ETag and
Last-Modified, answer a matching If-None-Match (or If-Modified-Since) with 304, and may be
cached publicly for a short while.
"""

import hashlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import FirstRendererNegotiation
from config.documents import CACHE_CONTROL
from config.fast_reads import DirectRead, PublicReadMixin
from config.openapi import (
    CONDITIONAL_GET,
    LAST_MODIFIED_HEADER,
    MODEL_PATH_PARAMETERS,
    NOT_FOUND,
    NOT_MODIFIED,
)
from reviews.api.rating_badge import badge_svg
from reviews.api.rating_serializers import (
    ModelRatingOutputSerializer,
    RatingMethodologyOutputSerializer,
)
from reviews.ratings.cache import RenderedRating, rating_direct, rating_rendered_get
from reviews.ratings.selectors import model_rating_get, rating_methodology_get


def _cacheable(
    request: HttpRequest,
    etag: str,
    last_modified: int | None,
    build: Callable[[], HttpResponseBase],
) -> HttpResponseBase:
    """304 if the client's copy is current (by ETag), else `build()`; with validators and
    caching (`last_modified` in Unix seconds). Last-Modified is sent but not used to answer
    304: it has whole-second resolution, and two recomputes can store within one second."""
    response = get_conditional_response(request, etag=etag) or build()
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    return response


class ModelRatingApi(PublicReadMixin, APIView):
    # Public, identical for everyone and the most requested read: nobody needs to be known,
    # so no authenticator runs (no session or token lookup on the hot path). The throttle's
    # counter goes with the read of the rendered rating (config.throttles.read_charged).
    authentication_classes: list = []
    throttle_on_read = True
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @staticmethod
    def direct_read(request: HttpRequest, provider: str, model: str) -> DirectRead:
        return rating_direct(f"{provider}/{model}", lambda rendered: _rating(request, rendered))

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, *CONDITIONAL_GET, LAST_MODIFIED_HEADER],
        responses={200: ModelRatingOutputSerializer, **NOT_MODIFIED, **NOT_FOUND},
        description="The model's rating summary, as the rating pipeline last stored it "
        "(zeros and nulls before its first counted review). ETag and Last-Modified change "
        "with every stored recompute; `Cache-Control: public, max-age=30, "
        "stale-while-revalidate=60`.",
    )
    def get(self, request: Request, provider: str, model: str) -> HttpResponseBase:
        # Served pre-rendered from the cache (see reviews.ratings.cache): the hot path runs no
        # query and no serializer, only the conditional-request check. One cache round trip:
        # the throttle's counter and the body's GET in one script (a 304: the GET alone).
        return _rating(request, rating_rendered_get(f"{provider}/{model}"))


def _rating(request: HttpRequest, rendered: RenderedRating) -> HttpResponseBase:
    return _cacheable(
        request, rendered.etag, rendered.last_modified,
        lambda: HttpResponse(rendered.body, content_type="application/json"),
    )  # fmt: skip


class ModelRatingBadgeApi(APIView):
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, *CONDITIONAL_GET],
        responses={
            (200, "image/svg+xml"): OpenApiResponse(
                OpenApiTypes.STR, description="An SVG badge: stars, average, verified reviews."
            ),
            **NOT_MODIFIED,
            **NOT_FOUND,
        },
        description="An embeddable SVG badge of the model's rating, with an ETag.",
        operation_id="models_badge_retrieve",
    )
    def get(self, request: Request, provider: str, model: str) -> HttpResponseBase:
        view = model_rating_get(slug=f"{provider}/{model}")
        svg = badge_svg(view.model, view.rating)
        etag = f'"{hashlib.sha256(svg.encode()).hexdigest()[:32]}"'
        # No Last-Modified: the badge also shows the model's name, which the ETag covers.
        return _cacheable(
            request, etag, None, lambda: HttpResponse(svg, content_type="image/svg+xml")
        )


class RatingMethodologyApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: RatingMethodologyOutputSerializer},
        description="How ratings are computed: which reviews count, the formulas, and the "
        "current parameters (prior mean and weight, half-life, z, method version).",
    )
    def get(self, request: Request) -> Response:
        return Response(RatingMethodologyOutputSerializer(rating_methodology_get()).data)
