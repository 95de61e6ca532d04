"""The reviews API: public reading, writing reviews, votes and reports, the author's own list.

Views parse input, call one selector or service and serialize; rules live in services.
Moderation views are in `moderation_views.py`.
"""

import uuid

from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import AuthenticatedRequest, IsVerified
from config.documents import Document, body_response, document_response
from config.fast_reads import DirectRead, PublicReadMixin
from config.idempotency.mixins import IdempotentWriteMixin
from config.openapi import (
    BAD_REQUEST,
    CONDITIONAL_GET,
    CONFLICT,
    IDEMPOTENCY_ERRORS,
    IDEMPOTENCY_KEY_PARAMETER,
    LOCATION_HEADER,
    MODEL_PATH_PARAMETERS,
    NOT_FOUND,
    NOT_MODIFIED,
    WRITE_ERRORS,
)
from config.pagination import CursorPagePagination
from models_catalog.exceptions import ModelNotFound
from models_catalog.models import AIModel
from models_catalog.selectors import model_get_by_slug
from reviews import selectors, services
from reviews.api.documents import (
    review_first_page_direct,
    review_first_page_document,
    review_page_render,
)
from reviews.api.pagination import KeysetCursorPagination
from reviews.api.schema import REVIEW_ID_PARAMETER
from reviews.api.serializers import (
    MyReviewListFilterInputSerializer,
    ReportCreateInputSerializer,
    ReportOutputSerializer,
    ReviewCreateInputSerializer,
    ReviewExistsErrorOutputSerializer,
    ReviewListFilterInputSerializer,
    ReviewOutputSerializer,
    ReviewOwnOutputSerializer,
    ReviewUpdateInputSerializer,
    ReviewVoteInputSerializer,
    ReviewVoteOutputSerializer,
    review_fields,
)
from reviews.api.throttles import (
    ReviewCreateThrottle,
    ReviewEditThrottle,
    ReviewReportThrottle,
    ReviewVoteThrottle,
    SuccessOnlyThrottling,
)
from reviews.models import Review


def _read_or_write_permissions(request: Request) -> list[BasePermission]:
    # A list is checked in order and keeps each class's error `code` (see accounts.permissions).
    if request.method in SAFE_METHODS:
        return [AllowAny()]
    return [IsAuthenticated(), IsVerified()]


def _model(provider: str, model: str) -> AIModel:
    # Only what reviews need (the provider, for the affiliation check), not the catalog page.
    return model_get_by_slug(
        f"{provider}/{model}", queryset=AIModel.objects.select_related("provider")
    )


def _own_review(request: Request, public_id: uuid.UUID) -> dict:
    """The author's view of their review, freshly read with what it preloads."""
    review = selectors.review_get_visible(public_id=public_id, user=request.user)
    return ReviewOwnOutputSerializer(review, context=_viewer(request)).data


def _viewer(request: Request) -> dict:
    """Serializer context naming the reader, for each review's `viewer` state, and the
    request, whose origin the links are absolute on."""
    return {"viewer": request.user, "request": request}


def _created(request: Request, data: dict, route: str, review_id: uuid.UUID) -> Response:
    """A 201 whose `Location` is the absolute URL of what was created."""
    location = request.build_absolute_uri(reverse(route, kwargs={"review_id": review_id}))
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})


# The answer depends on who asks (`viewer`): caches keep one per credential.
PER_READER = ["Cookie", "X-Session-Token"]


def _first_page_response(request: HttpRequest, document: Document) -> HttpResponseBase:
    response = document_response(request, document)
    patch_vary_headers(response, PER_READER)
    return response


REVIEW_EXISTS = OpenApiResponse(
    ReviewExistsErrorOutputSerializer,
    description="`review_exists`: you already have an active review of this model; "
    "`existing_review` is its id (`GET /api/v1/reviews/{id}/`).",
)


class ModelReviewListCreateApi(
    PublicReadMixin, IdempotentWriteMixin, SuccessOnlyThrottling, GenericAPIView
):
    queryset = Review.objects.none()  # for the schema generator; selectors build the real one
    pagination_class = KeysetCursorPagination
    throttle_classes = [*APIView.throttle_classes, ReviewCreateThrottle]

    def get_permissions(self) -> list[BasePermission]:
        return _read_or_write_permissions(self.request)

    @staticmethod
    def direct_read(request: HttpRequest, provider: str, model: str) -> DirectRead | None:
        """The first page for an anonymous reader (the only caller: config.fast_reads serves
        requests without credentials here), as `get` answers it."""
        if "cursor" in request.GET:
            return None
        return review_first_page_direct(request, f"{provider}/{model}", _first_page_response)

    @property
    def throttle_on_read(self) -> bool:
        """The pre-rendered first page: the throttle's counter goes with its read
        (config.throttles.read_charged). Other pages are charged before they render."""
        return not self.request.user.is_authenticated and "cursor" not in self.request.query_params

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, ReviewListFilterInputSerializer, *CONDITIONAL_GET],
        responses={
            200: ReviewOutputSerializer(many=True),
            **NOT_MODIFIED,
            **BAD_REQUEST,
            **NOT_FOUND,
        },
        description="Published reviews of the model, cursor-paginated (`page_size` up to "
        "100; follow `next` / `previous`). A bad parameter value is a 400 naming it. Every "
        "page carries an ETag (304 on `If-None-Match`); the first page for an anonymous "
        "reader is pre-rendered.",
    )
    def get(self, request: Request, provider: str, model: str) -> HttpResponseBase:
        if not request.user.is_authenticated and "cursor" not in request.query_params:
            # The first page as everyone anonymous sees it: pre-rendered, with an ETag.
            document = review_first_page_document(request, f"{provider}/{model}")
            return _first_page_response(request, document)
        # Later pages (a cursor) and signed-in readers: rendered per request, with an ETag.
        body = review_page_render(request, _model(provider, model), viewer=request.user)
        response = body_response(request, body, private=request.user.is_authenticated)
        patch_vary_headers(response, PER_READER)
        return response

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, LOCATION_HEADER, IDEMPOTENCY_KEY_PARAMETER],
        request=ReviewCreateInputSerializer,
        responses={
            201: ReviewOwnOutputSerializer,
            **WRITE_ERRORS,
            **NOT_FOUND,
            **IDEMPOTENCY_ERRORS,
            409: REVIEW_EXISTS,
        },
        description="Write your review of the model (one active review per model: a second "
        "is 409 `review_exists`, naming yours as `existing_review`). It starts `pending` and "
        "is public once a moderator verifies it; `Location` is its URL. Throttled per account "
        "(`review_create`).",
    )
    def post(self, request: AuthenticatedRequest, provider: str, model: str) -> Response:
        ai_model = _model(provider, model)
        data = ReviewCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = services.ReviewDraft(**review_fields(data.validated_data))
        review = services.review_create(author=request.user, model=ai_model, draft=draft)
        created = selectors.review_own_created(review)
        body = ReviewOwnOutputSerializer(created, context=_viewer(request)).data
        return _created(request, body, "reviews:review-detail", review.public_id)


class ReviewDetailApi(SuccessOnlyThrottling, APIView):
    throttle_classes = [*APIView.throttle_classes, ReviewEditThrottle]

    def get_permissions(self) -> list[BasePermission]:
        return _read_or_write_permissions(self.request)

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER, *CONDITIONAL_GET],
        responses={200: ReviewOutputSerializer, **NOT_MODIFIED, **NOT_FOUND},
        description="One review: published ones for everyone; the author also sees their "
        "own in any state. 404 `review_not_found` otherwise. With an ETag (304 on "
        "`If-None-Match`).",
    )
    def get(self, request: Request, review_id: uuid.UUID) -> HttpResponseBase:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
        data = ReviewOutputSerializer(review, context=_viewer(request)).data
        response = body_response(
            request, JSONRenderer().render(data), private=request.user.is_authenticated
        )
        # The answer depends on who asks (`viewer`, the author's own pending review).
        patch_vary_headers(response, PER_READER)
        return response

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        request=ReviewUpdateInputSerializer,
        responses={200: ReviewOwnOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Edit your review; the fields sent replace the current text, and every "
        "edit is kept as a revision. A published review keeps its public text until a "
        "moderator verifies the edit; a rejected one edited goes back to the queue (appeal).",
    )
    def patch(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
        data = ReviewUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = review_fields(data.validated_data)
        services.review_update(review=review, author=request.user, changes=changes)
        return Response(_own_review(request, review_id))

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        responses={204: None, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Withdraw your review (kept, no longer shown; you may write a new one).",
    )
    def delete(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
        services.review_withdraw(review=review, author=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewVoteApi(IdempotentWriteMixin, SuccessOnlyThrottling, APIView):
    permission_classes = [IsAuthenticated, IsVerified]
    throttle_classes = [*APIView.throttle_classes, ReviewVoteThrottle]

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        request=ReviewVoteInputSerializer,
        responses={
            200: ReviewVoteOutputSerializer,
            **WRITE_ERRORS,
            **NOT_FOUND,
            **IDEMPOTENCY_ERRORS,
        },
        description="Vote a published review helpful or not (one vote per person, "
        "changeable; not on your own review: 403 `cannot_vote_own_review`).",
    )
    def put(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        review = selectors.review_ref_get_visible(public_id=review_id, user=request.user)
        data = ReviewVoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        helpful = data.validated_data["helpful"]
        review = services.vote_set(review=review, voter=request.user, helpful=helpful)
        output = {
            "helpful": helpful,
            "helpful_count": review.helpful_count,
            "not_helpful_count": review.not_helpful_count,
            "helpfulness": review.helpfulness,
        }
        return Response(ReviewVoteOutputSerializer(output).data)

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        responses={204: None, **WRITE_ERRORS, **NOT_FOUND, **IDEMPOTENCY_ERRORS},
        description="Take back your vote (nothing happens if there was none).",
    )
    def delete(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        review = selectors.review_ref_get_visible(public_id=review_id, user=request.user)
        services.vote_delete(review=review, voter=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewReportCreateApi(IdempotentWriteMixin, SuccessOnlyThrottling, APIView):
    permission_classes = [IsAuthenticated, IsVerified]
    throttle_classes = [*APIView.throttle_classes, ReviewReportThrottle]

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER, LOCATION_HEADER, IDEMPOTENCY_KEY_PARAMETER],
        request=ReportCreateInputSerializer,
        responses={
            201: ReportOutputSerializer,
            **WRITE_ERRORS,
            **NOT_FOUND,
            **IDEMPOTENCY_ERRORS,
        },
        description="Report a published review to the moderators (once per review: 409 "
        "`report_exists`). `Location` is your report "
        "(`/api/v1/me/reports/{review_id}/`, where you may withdraw it while it is open). "
        "Throttled per account (`review_report`).",
    )
    def post(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        review = selectors.review_ref_get_visible(public_id=review_id, user=request.user)
        data = ReportCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(review=review, reporter=request.user, **data.validated_data)
        body = ReportOutputSerializer(report, context={"request": request}).data
        return _created(request, body, "reviews:me-report-detail", review_id)


class MyReviewListApi(GenericAPIView):
    queryset = Review.objects.none()  # for the schema generator; selectors build the real one
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagePagination

    @extend_schema(
        parameters=[MyReviewListFilterInputSerializer],
        responses={200: ReviewOwnOutputSerializer(many=True), **BAD_REQUEST, **WRITE_ERRORS},
        description="Your reviews in every state, newest first, each with the edit waiting "
        "for moderation and the last moderation outcome and reason; `model` keeps one "
        "model's (an unknown model is a 400 naming `model`).",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = MyReviewListFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        model = _model_filter(filters.validated_data.get("model"))
        reviews = selectors.review_list_for_author(author=request.user, model=model)
        page = self.paginate_queryset(reviews)
        output = ReviewOwnOutputSerializer(page, many=True, context=_viewer(request))
        return self.get_paginated_response(output.data)


def _model_filter(slug: str | None) -> AIModel | None:
    if not slug:
        return None
    try:
        return model_get_by_slug(slug, queryset=AIModel.objects.all())
    except ModelNotFound as error:
        raise ValidationError({"model": [error.message]}) from None


class MyReportListApi(GenericAPIView):
    queryset = Review.objects.none()  # for the schema generator; selectors build the real one
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagePagination

    @extend_schema(
        responses={200: ReportOutputSerializer(many=True), **BAD_REQUEST, **WRITE_ERRORS},
        description="Your reports, newest first, in every state (`open` ones you may withdraw).",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        reports = selectors.report_list_for_reporter(reporter=request.user)
        page = self.paginate_queryset(reports)
        return self.get_paginated_response(
            ReportOutputSerializer(page, many=True, context={"request": request}).data
        )


class MyReportDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        responses={200: ReportOutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
        description="Your report of the review; 404 `report_not_found` if you have none.",
    )
    def get(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        report = selectors.report_get_own(review_id=review_id, reporter=request.user)
        return Response(ReportOutputSerializer(report, context={"request": request}).data)

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        responses={204: None, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Withdraw your report while it is open (409 `report_not_open` once a "
        "moderator decided on it). What it did goes with it: a review it hid is published "
        "again, and one it put in the queue leaves it, unless the reports still open would "
        "have done the same. You may report the review again later.",
    )
    def delete(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        report = selectors.report_get_own(review_id=review_id, reporter=request.user)
        services.report_withdraw(review=report.review, reporter=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
