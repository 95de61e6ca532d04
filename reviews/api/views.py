"""The reviews API: public reading, writing reviews, votes and reports, the author's own list.

Views parse input, call one selector or service and serialize; rules live in services.
Moderation views are in `moderation_views.py`.
"""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVerified
from config.api import PageNumberPagination
from config.openapi import BAD_REQUEST, CONFLICT, MODEL_PATH_PARAMETERS, NOT_FOUND, WRITE_ERRORS
from models_catalog.models import AIModel
from models_catalog.selectors import model_get_by_slug
from reviews import selectors, services
from reviews.api.pagination import KeysetCursorPagination
from reviews.api.schema import REVIEW_ID_PARAMETER
from reviews.api.serializers import (
    ReportCreateInputSerializer,
    ReportOutputSerializer,
    ReviewCreateInputSerializer,
    ReviewListFilterInputSerializer,
    ReviewOutputSerializer,
    ReviewOwnOutputSerializer,
    ReviewUpdateInputSerializer,
    ReviewVoteInputSerializer,
    ReviewVoteOutputSerializer,
    review_fields,
    review_output_context,
)
from reviews.api.throttles import (
    ReviewCreateThrottle,
    ReviewEditThrottle,
    ReviewReportThrottle,
    ReviewVoteThrottle,
    SuccessOnlyThrottling,
)
from reviews.models import Review
from reviews.selectors import REVIEW_ORDERINGS


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
    return ReviewOwnOutputSerializer(review).data


class ModelReviewListCreateApi(SuccessOnlyThrottling, GenericAPIView):
    queryset = Review.objects.none()  # for the schema generator; selectors build the real one
    pagination_class = KeysetCursorPagination
    throttle_classes = [*APIView.throttle_classes, ReviewCreateThrottle]

    def get_permissions(self) -> list[BasePermission]:
        return _read_or_write_permissions(self.request)

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, ReviewListFilterInputSerializer],
        responses={200: ReviewOutputSerializer(many=True), **BAD_REQUEST, **NOT_FOUND},
        description="Published reviews of the model, cursor-paginated (`page_size` up to "
        "100; follow `next` / `previous`). A bad parameter value is a 400 naming it.",
    )
    def get(self, request: Request, provider: str, model: str) -> Response:
        ai_model = _model(provider, model)
        filters = ReviewListFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        order = filters.validated_data.pop("order")
        reviews = selectors.review_list_for_model(model=ai_model, **filters.validated_data)
        self.paginator.ordering = REVIEW_ORDERINGS[order]
        page = self.paginate_queryset(reviews)
        context = review_output_context(request.user)
        output = ReviewOutputSerializer(page, many=True, context=context)
        return self.get_paginated_response(output.data)

    @extend_schema(
        parameters=MODEL_PATH_PARAMETERS,
        request=ReviewCreateInputSerializer,
        responses={201: ReviewOwnOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Write your review of the model (one active review per model: a second "
        "is 409 `review_exists`). It starts `pending` and is public once a moderator "
        "verifies it. Throttled per account (`review_create`).",
    )
    def post(self, request: Request, provider: str, model: str) -> Response:
        ai_model = _model(provider, model)
        data = ReviewCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = services.ReviewDraft(**review_fields(data.validated_data))
        review = services.review_create(author=request.user, model=ai_model, draft=draft)
        return Response(_own_review(request, review.public_id), status=status.HTTP_201_CREATED)


class ReviewDetailApi(SuccessOnlyThrottling, APIView):
    throttle_classes = [*APIView.throttle_classes, ReviewEditThrottle]

    def get_permissions(self) -> list[BasePermission]:
        return _read_or_write_permissions(self.request)

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        responses={200: ReviewOutputSerializer, **NOT_FOUND},
        description="One review: published ones for everyone; the author also sees their "
        "own in any state. 404 `review_not_found` otherwise.",
    )
    def get(self, request: Request, review_id: uuid.UUID) -> Response:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
        context = review_output_context(request.user)
        return Response(ReviewOutputSerializer(review, context=context).data)

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        request=ReviewUpdateInputSerializer,
        responses={200: ReviewOwnOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Edit your review; the fields sent replace the current text, and every "
        "edit is kept as a revision. A published review keeps its public text until a "
        "moderator verifies the edit; a rejected one edited goes back to the queue (appeal).",
    )
    def patch(self, request: Request, review_id: uuid.UUID) -> Response:
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
    def delete(self, request: Request, review_id: uuid.UUID) -> Response:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
        services.review_withdraw(review=review, author=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewVoteApi(SuccessOnlyThrottling, APIView):
    permission_classes = [IsAuthenticated, IsVerified]
    throttle_classes = [*APIView.throttle_classes, ReviewVoteThrottle]

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        request=ReviewVoteInputSerializer,
        responses={200: ReviewVoteOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Vote a published review helpful or not (one vote per person, "
        "changeable; not on your own review: 403 `cannot_vote_own_review`).",
    )
    def put(self, request: Request, review_id: uuid.UUID) -> Response:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
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
        parameters=[REVIEW_ID_PARAMETER],
        responses={204: None, **WRITE_ERRORS, **NOT_FOUND},
        description="Take back your vote (nothing happens if there was none).",
    )
    def delete(self, request: Request, review_id: uuid.UUID) -> Response:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
        services.vote_delete(review=review, voter=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewReportCreateApi(SuccessOnlyThrottling, APIView):
    permission_classes = [IsAuthenticated, IsVerified]
    throttle_classes = [*APIView.throttle_classes, ReviewReportThrottle]

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        request=ReportCreateInputSerializer,
        responses={201: ReportOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Report a published review to the moderators (once per review: 409 "
        "`report_exists`). Throttled per account (`review_report`).",
    )
    def post(self, request: Request, review_id: uuid.UUID) -> Response:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
        data = ReportCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(review=review, reporter=request.user, **data.validated_data)
        return Response(ReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)


class MyReviewListApi(GenericAPIView):
    queryset = Review.objects.none()  # for the schema generator; selectors build the real one
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination

    @extend_schema(
        responses={200: ReviewOwnOutputSerializer(many=True), **BAD_REQUEST, **WRITE_ERRORS},
        description="Your reviews in every state, newest first, each with the edit waiting "
        "for moderation and the last moderation outcome and reason.",
    )
    def get(self, request: Request) -> Response:
        reviews = selectors.review_list_for_author(author=request.user)
        page = self.paginate_queryset(reviews)
        return self.get_paginated_response(ReviewOwnOutputSerializer(page, many=True).data)
