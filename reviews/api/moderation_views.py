"""The moderation API: the queue, the actions on one review, and the audit log.

Every view needs a verified moderator (`CanModerate`, which also asks for MFA when
MODERATION_REQUIRE_MFA is on); the services check the role again and refuse a moderator's
own review (403 `cannot_moderate_own_review`).
"""

import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanModerate, IsVerified
from config.idempotency.mixins import IdempotentWriteMixin
from config.openapi import (
    BAD_REQUEST,
    CONFLICT,
    IDEMPOTENCY_ERRORS,
    IDEMPOTENCY_KEY_PARAMETER,
    NOT_FOUND,
    WRITE_ERRORS,
)
from config.pagination import CursorPagePagination
from reviews import selectors, services
from reviews.api.moderation_serializers import (
    ModerationEventFilterInputSerializer,
    ModerationEventOutputSerializer,
    ModerationQueueFilterInputSerializer,
    ModerationReviewOutputSerializer,
    ReviewHideInputSerializer,
    ReviewModerationNoteInputSerializer,
    ReviewRejectInputSerializer,
    ReviewVerifyInputSerializer,
    SurgeFilterInputSerializer,
    SurgeOutputSerializer,
    SurgeRejectInputSerializer,
)
from reviews.api.schema import REVIEW_ID_PARAMETER
from reviews.integrity import surges
from reviews.models import ModelSurge, ModerationEvent, Review

MODERATORS = [IsAuthenticated, IsVerified, CanModerate]


class ModerationQueueApi(GenericAPIView):
    queryset = Review.objects.none()  # for the schema generator; selectors build the real one
    permission_classes = MODERATORS
    pagination_class = CursorPagePagination

    @extend_schema(
        parameters=[ModerationQueueFilterInputSerializer],
        responses={200: ModerationReviewOutputSerializer(many=True), **WRITE_ERRORS},
        description="Reviews waiting for a moderator, oldest first: new reviews and appeals, "
        "edits of published reviews, and reported reviews (back in the queue, or hidden at "
        "once after an urgent report).",
    )
    def get(self, request: Request) -> Response:
        filters = ModerationQueueFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.moderation_queue(**filters.validated_data))
        return self.get_paginated_response(
            ModerationReviewOutputSerializer(page, many=True, context={"request": request}).data
        )


class _ModerationActionApi(IdempotentWriteMixin, APIView):
    """POST: validate the body, call `service(review=…, moderator=…, **body)`, answer with
    the review as moderators see it. Retries are safe: the services answer a state already
    reached with the review (no second audit event), and `Idempotency-Key` replays."""

    permission_classes = MODERATORS
    input_serializer: ClassVar[type[serializers.Serializer]]
    service: ClassVar[Callable[..., Any]]

    def post(self, request: Request, review_id: uuid.UUID) -> Response:
        review = selectors.moderation_review_ref_get(public_id=review_id)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        type(self).service(review=review, moderator=request.user, **data.validated_data)
        review = selectors.moderation_review_get(public_id=review_id)
        return Response(ModerationReviewOutputSerializer(review, context={"request": request}).data)


def _action_schema(request: type[serializers.Serializer], description: str) -> Callable:
    return extend_schema(
        parameters=[REVIEW_ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        request=request,
        responses={
            200: ModerationReviewOutputSerializer,
            **WRITE_ERRORS,
            **NOT_FOUND,
            **IDEMPOTENCY_ERRORS,
        },
        description=description + " Repeating an action whose outcome is already the "
        "review's state answers 200 with the review and records nothing. 409 "
        "`invalid_transition` from any other state.",
    )


@extend_schema_view(
    post=_action_schema(
        ReviewVerifyInputSerializer,
        "Verify: publish a pending review, apply the edit waiting on a published one, or keep "
        "a reported one (its open reports are dismissed). `usage_verified` adds the badge.",
    )
)
class ModerationReviewVerifyApi(_ModerationActionApi):
    input_serializer = ReviewVerifyInputSerializer
    service = services.review_verify


@extend_schema_view(
    post=_action_schema(
        ReviewRejectInputSerializer,
        "Reject a pending review, or only the edit waiting on a published one (the published "
        "text stays), with a reason from the fixed list and a note for the author.",
    )
)
class ModerationReviewRejectApi(_ModerationActionApi):
    input_serializer = ReviewRejectInputSerializer
    service = services.review_reject


@extend_schema_view(
    post=_action_schema(
        ReviewHideInputSerializer,
        "Hide a published review, or confirm the automatic hiding of a reported one (its "
        "open reports are upheld).",
    )
)
class ModerationReviewHideApi(_ModerationActionApi):
    input_serializer = ReviewHideInputSerializer
    service = services.review_hide


@extend_schema_view(
    post=_action_schema(
        ReviewModerationNoteInputSerializer,
        "Publish a hidden review again (its open reports are dismissed).",
    )
)
class ModerationReviewRestoreApi(_ModerationActionApi):
    input_serializer = ReviewModerationNoteInputSerializer
    service = services.review_restore


@extend_schema_view(
    post=_action_schema(
        ReviewModerationNoteInputSerializer,
        "Mark the review's usage as verified (evidence seen): shown as a badge.",
    )
)
class ModerationReviewVerifyUsageApi(_ModerationActionApi):
    input_serializer = ReviewModerationNoteInputSerializer
    service = services.review_mark_usage_verified


class ModerationEventListApi(GenericAPIView):
    queryset = ModerationEvent.objects.none()  # for the schema generator
    permission_classes = MODERATORS
    pagination_class = CursorPagePagination

    @extend_schema(
        parameters=[ModerationEventFilterInputSerializer],
        responses={200: ModerationEventOutputSerializer(many=True), **BAD_REQUEST, **WRITE_ERRORS},
        description="The audit log, newest first: who did what to which review, when, from "
        "and to which state, with reason and note.",
    )
    def get(self, request: Request) -> Response:
        filters = ModerationEventFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.moderation_event_list(**filters.validated_data))
        return self.get_paginated_response(
            ModerationEventOutputSerializer(page, many=True, context={"request": request}).data
        )


class ModerationSurgeListApi(GenericAPIView):
    queryset = ModelSurge.objects.none()  # for the schema generator
    permission_classes = MODERATORS
    pagination_class = CursorPagePagination

    @extend_schema(
        parameters=[SurgeFilterInputSerializer],
        responses={200: SurgeOutputSerializer(many=True), **BAD_REQUEST, **WRITE_ERRORS},
        description="Surges (unusual activity on a model), newest first. The reviews of an "
        "open surge are held out of the rating until it is released or rejected; list them "
        "with the queue filter `surge`.",
    )
    def get(self, request: Request) -> Response:
        filters = SurgeFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(surges.surge_list(**filters.validated_data))
        return self.get_paginated_response(
            SurgeOutputSerializer(page, many=True, context={"request": request}).data
        )


SURGE_ID_PARAMETER = OpenApiParameter(
    "surge_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The surge's id."
)


class _SurgeActionApi(APIView):
    permission_classes = MODERATORS
    input_serializer: ClassVar[type[serializers.Serializer]]
    service: ClassVar[Callable[..., Any]]

    def post(self, request: Request, surge_id: int) -> Response:
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        type(self).service(surge_id=surge_id, moderator=request.user, **data.validated_data)
        return Response(
            SurgeOutputSerializer(
                surges.surge_get(surge_id=surge_id), context={"request": request}
            ).data
        )


def _surge_schema(request: type[serializers.Serializer], description: str) -> Callable:
    return extend_schema(
        parameters=[SURGE_ID_PARAMETER],
        request=request,
        responses={200: SurgeOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description=description + " 409 `invalid_transition` once the surge is closed.",
    )


@extend_schema_view(
    post=_surge_schema(
        ReviewModerationNoteInputSerializer,
        "Release the surge: its reviews count in the rating like any other (pending ones once "
        "verified) and the public notice goes.",
    )
)
class ModerationSurgeReleaseApi(_SurgeActionApi):
    input_serializer = ReviewModerationNoteInputSerializer
    service = surges.surge_release


@extend_schema_view(
    post=_surge_schema(
        SurgeRejectInputSerializer,
        "Reject the surge as a batch: its pending reviews are rejected and its published ones "
        "hidden, each with an audit event and the author told; the public notice goes.",
    )
)
class ModerationSurgeRejectApi(_SurgeActionApi):
    input_serializer = SurgeRejectInputSerializer
    service = surges.surge_reject
