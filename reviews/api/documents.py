"""The reviews' public documents, pre-rendered in the cache (see config.documents), and the
parts the reviews app adds to the model page bundle (`?include=rating,reviews`).

A first page of a model's reviews, as an anonymous reader sees it, shows the model's
published reviews and their votes (the model's generation), the reviewers' bylines and
facts (the reviewers' generation: a published count changes with a review of another model)
and the model's slug (the catalog's). Later pages (`cursor`) and signed-in readers (their own
`viewer` state) are rendered on each request.
"""

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from config.documents import (
    CATALOG,
    REVIEWERS,
    Document,
    Uncacheable,
    document_direct,
    document_get,
    document_key,
    model_generation,
    model_reviews_generation,
    origin,
    subrequest,
)
from config.fast_reads import DirectRead
from models_catalog.models import AIModel
from models_catalog.selectors import model_get_by_slug
from reviews import selectors
from reviews.api.pagination import KeysetCursorPagination
from reviews.api.serializers import ReviewListFilterInputSerializer, ReviewOutputSerializer
from reviews.ratings.cache import rating_rendered_get
from reviews.selectors import REVIEW_ORDERINGS


def review_page_render(request: Request, model: AIModel, *, viewer: object = None) -> bytes:
    """A page of the model's published reviews for the request's filters and cursor.
    Raises ValidationError (a bad parameter)."""
    filters = ReviewListFilterInputSerializer(data=request.query_params.dict())
    filters.is_valid(raise_exception=True)
    order = filters.validated_data.pop("ordering")
    reader = viewer if viewer is not None else AnonymousUser()
    reviews = selectors.review_list_for_model(
        model=model,
        viewer=reader,  # type: ignore[arg-type]
        **filters.validated_data,
    )
    paginator = KeysetCursorPagination()
    paginator.ordering = REVIEW_ORDERINGS[order]
    page = paginator.paginate_queryset(reviews, request)
    data = ReviewOutputSerializer(
        page, many=True, context={"viewer": reader, "request": request}
    ).data
    return JSONRenderer().render(paginator.get_paginated_response(data).data)


def review_first_page_document(request: Request, slug: str) -> Document:
    """The first page (no `cursor`) for an anonymous reader, kept per origin and exact
    path with query. Raises ModelNotFound, ValidationError."""

    def render() -> bytes:
        queryset = AIModel.objects.select_related("provider")
        model = model_get_by_slug(slug, queryset=queryset)
        body = review_page_render(request, model)
        if model.slug != slug:
            raise Uncacheable(body)
        return body

    return document_get(*_first_page_address(request, slug), render)


def _first_page_address(request: HttpRequest, slug: str) -> tuple[str, list[str]]:
    key = document_key("reviews", origin(request), request.get_full_path())
    generations = [CATALOG, REVIEWERS, model_generation(slug), model_reviews_generation(slug)]
    return key, generations


def review_first_page_direct(
    request: HttpRequest, slug: str, respond: Callable[[HttpRequest, Document], HttpResponseBase]
) -> DirectRead:
    """The first page's direct read (config.fast_reads), answered by `respond`: kept per
    exact query, only for queries that rendered (a bad filter raised and kept nothing)."""
    return document_direct(request, *_first_page_address(request, slug), respond)


def reviews_part(request: HttpRequest, slug: str) -> bytes:
    """The bundle's `reviews`: the same document as `GET …/reviews/` (same key)."""
    provider, _, model = slug.partition("/")
    path = reverse("reviews:model-reviews", kwargs={"provider": provider, "model": model})
    return review_first_page_document(Request(subrequest(request, path)), slug).body


def rating_part(request: HttpRequest, slug: str) -> bytes:
    """The bundle's `rating`: the rating endpoint's pre-rendered body."""
    return rating_rendered_get(slug).body
