"""Provider replies: members of the model's provider answer a review; moderators publish.

`/reviews/{id}/reply/` is the provider's one reply to the review (read by anyone once
published; written, edited and deleted by members: the services check membership and
authorship on every write, so no interface can skip them). `/moderation/replies/` is the
reply queue, a kind of its own beside the reviews'.
"""

import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import AuthenticatedRequest, IsVerified
from config.openapi import CONFLICT, LOCATION_HEADER, NOT_FOUND, WRITE_ERRORS
from config.pagination import CursorPagePagination
from reviews import selectors, services
from reviews.api.moderation_serializers import ReviewModerationNoteInputSerializer
from reviews.api.moderation_views import MODERATORS
from reviews.api.schema import REPLY_ID_PARAMETER, REVIEW_ID_PARAMETER
from reviews.api.serializers import (
    ProviderReplyStatsOutputSerializer,
    ReplyInputSerializer,
    ReplyOwnOutputSerializer,
)
from reviews.api.throttles import ReviewReplyThrottle
from reviews.models import ReviewReply


class ReviewReplyApi(APIView):
    throttle_classes = [*APIView.throttle_classes, ReviewReplyThrottle]

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in SAFE_METHODS:
            return [AllowAny()]
        return [IsAuthenticated(), IsVerified()]

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        responses={200: ReplyOwnOutputSerializer, **NOT_FOUND},
        description="The provider's reply to the review: published ones for everyone; the "
        "provider's members also see theirs while it waits or once rejected. 404 "
        "`reply_not_found` otherwise.",
    )
    def get(self, request: Request, review_id: uuid.UUID) -> Response:
        reply = selectors.reply_get_for_review(review_id=review_id, user=request.user)
        return Response(ReplyOwnOutputSerializer(reply, context={"request": request}).data)

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER, LOCATION_HEADER],
        request=ReplyInputSerializer,
        responses={201: ReplyOwnOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Reply in public for the model's provider (verified members only: 403 "
        "`not_provider_member`). One reply per review and provider (409 `reply_exists`); "
        "only to a published review (409 `review_not_published`). Plain text, moderated "
        "before it shows under the review; the review's author is then mailed. Throttled "
        "per account (`review_reply`).",
    )
    def post(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        review = selectors.review_get_visible(public_id=review_id, user=request.user)
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reply_create(review=review, author=request.user, **data.validated_data)
        reply = selectors.reply_get_for_review(review_id=review_id, user=request.user)
        location = request.build_absolute_uri(
            reverse("reviews:review-reply", kwargs={"review_id": review_id})
        )
        body = ReplyOwnOutputSerializer(reply, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        request=ReplyInputSerializer,
        responses={200: ReplyOwnOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Edit the reply (its author, or a manager of the provider: else 403 "
        "`not_reply_author`). Every text is kept as a revision; the edit waits for "
        "moderation and the reply is not shown meanwhile.",
    )
    def patch(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        reply = selectors.reply_get_for_review(review_id=review_id, user=request.user)
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reply_update(reply=reply, user=request.user, **data.validated_data)
        reply = selectors.reply_get_for_review(review_id=review_id, user=request.user)
        return Response(ReplyOwnOutputSerializer(reply, context={"request": request}).data)

    @extend_schema(
        parameters=[REVIEW_ID_PARAMETER],
        responses={204: None, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
        description="Delete the reply (its author or a manager of the provider); the "
        "provider may reply again later.",
    )
    def delete(self, request: AuthenticatedRequest, review_id: uuid.UUID) -> Response:
        reply = selectors.reply_get_for_review(review_id=review_id, user=request.user)
        services.reply_delete(reply=reply, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModerationReplyQueueApi(GenericAPIView):
    queryset = ReviewReply.objects.none()  # for the schema generator
    permission_classes = MODERATORS
    pagination_class = CursorPagePagination

    @extend_schema(
        responses={200: ReplyOwnOutputSerializer(many=True), **WRITE_ERRORS},
        description="Provider replies waiting for a moderator (new ones and edits), oldest "
        "first: a queue of its own beside the reviews' queue.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.reply_moderation_queue())
        return self.get_paginated_response(
            ReplyOwnOutputSerializer(page, many=True, context={"request": request}).data
        )


class _ReplyActionApi(APIView):
    permission_classes = MODERATORS
    service: ClassVar[Callable[..., Any]]

    def act(self, request: Request, reply_id: uuid.UUID) -> Response:
        reply = selectors.reply_moderation_get(public_id=reply_id)
        data = ReviewModerationNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        type(self).service(reply=reply, moderator=request.user, **data.validated_data)
        reply = selectors.reply_moderation_get(public_id=reply_id)
        return Response(ReplyOwnOutputSerializer(reply, context={"request": request}).data)


_ACTION_RESPONSES = {200: ReplyOwnOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT}


class ModerationReplyPublishApi(_ReplyActionApi):
    @extend_schema(
        parameters=[REPLY_ID_PARAMETER],
        request=ReviewModerationNoteInputSerializer,
        responses=_ACTION_RESPONSES,
        description="Publish a waiting reply: it shows under the review, and the review's "
        "author is mailed. 409 `reply_not_pending` if nothing waits; 403 "
        "`cannot_moderate_own_reply` for one's own.",
    )
    def post(self, request: Request, reply_id: uuid.UUID) -> Response:
        return self.act(request, reply_id)

    service = services.reply_publish


class ModerationReplyRejectApi(_ReplyActionApi):
    @extend_schema(
        parameters=[REPLY_ID_PARAMETER],
        request=ReviewModerationNoteInputSerializer,
        responses=_ACTION_RESPONSES,
        description="Reject a waiting reply (the provider sees the note and may edit it). "
        "409 `reply_not_pending` if nothing waits.",
    )
    def post(self, request: Request, reply_id: uuid.UUID) -> Response:
        return self.act(request, reply_id)

    service = services.reply_reject


class ProviderReplyStatsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Provider slug."
            )
        ],
        responses={200: ProviderReplyStatsOutputSerializer, **NOT_FOUND},
        description="How the provider answers reviews over the last 90 days: reply rate and "
        "median time to reply, for the provider page. Computed hourly, off the request path.",
    )
    def get(self, request: Request, slug: str) -> Response:
        stats = selectors.reply_stats_get(provider_slug=slug)
        return Response(
            ProviderReplyStatsOutputSerializer(stats, context={"request": request}).data
        )
