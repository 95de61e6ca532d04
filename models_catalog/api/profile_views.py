"""The claimed provider profile: managers propose changes, moderators accept or reject them.

Views parse input and call one service or selector; the services check the manager's
membership and the moderator's role again, so no interface can skip them.
"""

from collections.abc import Callable
from typing import Any, ClassVar, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, throttling
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.permissions import AuthenticatedRequest, CanModerate, IsVerified
from config.openapi import CONFLICT, NOT_FOUND, WRITE_ERRORS
from config.pagination import CursorPagePagination
from config.throttles import FailOpen
from models_catalog import profiles, selectors
from models_catalog.api.serializers import (
    ProviderProfileEditOutputSerializer,
    ProviderProfileInputSerializer,
)
from models_catalog.models import ProviderProfileEdit

MODERATORS = [IsAuthenticated, IsVerified, CanModerate]
SLUG_PARAMETER = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Provider slug."
)
EDIT_ID_PARAMETER = OpenApiParameter(
    "edit_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The proposal's id."
)


class ProviderProfileThrottle(FailOpen, throttling.UserRateThrottle):
    """Per account, on proposals (`provider_profile` rate; the view only writes)."""

    scope = "provider_profile"

    def get_rate(self) -> str | None:
        # Read per request (as reviews.api.throttles does), so an override applies at once.
        return cast(str | None, api_settings.DEFAULT_THROTTLE_RATES[self.scope])


class ProviderProfileApi(APIView):
    permission_classes = [IsAuthenticated, IsVerified]
    throttle_classes = [*APIView.throttle_classes, ProviderProfileThrottle]

    @extend_schema(
        parameters=[SLUG_PARAMETER],
        request=ProviderProfileInputSerializer,
        responses={202: ProviderProfileEditOutputSerializer, **WRITE_ERRORS, **NOT_FOUND},
        description="Propose a change to the provider's public profile (description, "
        "website, support contact, links): managers of the provider only (403 "
        "`not_provider_manager`). It is public once a moderator accepts it (202: the "
        "proposal, `pending`); a newer proposal supersedes one still waiting. Throttled per "
        "account (`provider_profile`).",
    )
    def patch(self, request: AuthenticatedRequest, slug: str) -> Response:
        provider = selectors.provider_get(slug=slug)
        data = ProviderProfileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        edit = profiles.profile_edit_propose(
            provider=provider, user=request.user, changes=dict(data.validated_data)
        )
        body = ProviderProfileEditOutputSerializer(edit, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ModerationProfileEditQueueApi(GenericAPIView):
    queryset = ProviderProfileEdit.objects.none()  # for the schema generator
    permission_classes = MODERATORS
    pagination_class = CursorPagePagination

    @extend_schema(
        responses={200: ProviderProfileEditOutputSerializer(many=True), **WRITE_ERRORS},
        description="Provider profile changes waiting for a moderator, oldest first.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(profiles.profile_edit_queue())
        return self.get_paginated_response(
            ProviderProfileEditOutputSerializer(page, many=True, context={"request": request}).data
        )


class ProfileEditNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2_000, help_text="A note for the provider."
    )


class _ProfileEditActionApi(APIView):
    permission_classes = MODERATORS
    service: ClassVar[Callable[..., Any]]

    def post(self, request: Request, edit_id: int) -> Response:
        edit = profiles.profile_edit_get(edit_id=edit_id)
        data = ProfileEditNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        edit = type(self).service(edit=edit, moderator=request.user, **data.validated_data)
        return Response(
            ProviderProfileEditOutputSerializer(edit, context={"request": request}).data
        )


def _action_schema(description: str) -> Callable:
    return extend_schema(
        parameters=[EDIT_ID_PARAMETER],
        request=ProfileEditNoteInputSerializer,
        responses={
            200: ProviderProfileEditOutputSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT,
        },
        description=description + " 409 `profile_edit_not_pending` once decided; 403 "
        "`cannot_moderate_own_profile_edit` for one's own proposal.",
    )  # fmt: skip


class ModerationProfileEditAcceptApi(_ProfileEditActionApi):
    service = profiles.profile_edit_accept

    @_action_schema("Accept the proposal: the provider's public profile changes.")
    def post(self, request: Request, edit_id: int) -> Response:
        return super().post(request, edit_id)


class ModerationProfileEditRejectApi(_ProfileEditActionApi):
    service = profiles.profile_edit_reject

    @_action_schema("Reject the proposal: the profile stays as it is.")
    def post(self, request: Request, edit_id: int) -> Response:
        return super().post(request, edit_id)
