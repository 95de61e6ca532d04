"""The accounts API: the signed-in person's profile, export and erasure; public profiles.

Sign-up, login, email verification, password reset, MFA and sessions are allauth's headless
API under /_allauth/{browser,app}/v1/; these views read the session it issues.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    MeDeleteInputSerializer,
    MeExportOutputSerializer,
    MeOutputSerializer,
    MeUpdateInputSerializer,
    ModerationAccessOutputSerializer,
    PublicProfileOutputSerializer,
)
from accounts.authentication import recently_reauthenticated, request_session
from accounts.permissions import AuthenticatedRequest, IsVerified
from config.api import ErrorOutputSerializer
from config.idempotency.mixins import IdempotentWriteMixin
from config.openapi import IDEMPOTENCY_ERRORS, IDEMPOTENCY_KEY_PARAMETER

ERRORS_401_403 = {401: ErrorOutputSerializer, 403: ErrorOutputSerializer}


class AccountEraseThrottle(UserRateThrottle):
    """DELETE /me/ checks a password: a few tries per hour (counted in the shared cache)."""

    scope = "account_erase"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method != "DELETE":
            return True
        return super().allow_request(request, view)


class MeApi(IdempotentWriteMixin, APIView):
    """The signed-in person's own account. Reads need a session; writes a verified email."""

    idempotent_methods = frozenset({"PATCH"})
    throttle_classes = [*APIView.throttle_classes, AccountEraseThrottle]
    # DELETE takes a body (the password): documented, so the schema and config.strict know it.
    request_body_on_delete = True

    def get_permissions(self) -> list[BasePermission]:
        # A list is checked in order, like `&`, but keeps each class's error `code`
        # (DRF's `&` reports a plain `permission_denied`).
        if self.request.method in SAFE_METHODS:
            return [IsAuthenticated()]
        return [IsAuthenticated(), IsVerified()]

    @extend_schema(responses={200: MeOutputSerializer, **ERRORS_401_403})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(
            MeOutputSerializer(
                selectors.profile_get_private(request.user), context={"request": request}
            ).data
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=MeUpdateInputSerializer,
        responses={
            200: MeOutputSerializer,
            400: ErrorOutputSerializer,
            **ERRORS_401_403,
            **IDEMPOTENCY_ERRORS,
        },
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        data = MeUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=request.user, **data.validated_data)
        return Response(
            MeOutputSerializer(
                selectors.profile_get_private(user), context={"request": request}
            ).data
        )

    @extend_schema(
        request=MeDeleteInputSerializer,
        responses={204: None, 400: ErrorOutputSerializer, **ERRORS_401_403},
        description="Erase the account: personal data is deleted, every session and session "
        'token ends, the person\'s reviews are withdrawn. Body: `{"password": "…"}`, which may '
        "be left out within 5 minutes of re-authenticating through allauth "
        "(`POST /_allauth/{client}/v1/auth/reauthenticate`). 403 `reauthentication_required` "
        "when neither; 400 `password_incorrect`.",
    )
    def delete(self, request: AuthenticatedRequest) -> Response:
        data = MeDeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_erase_self(
            user=request.user,
            password=data.validated_data.get("password") or None,
            recently_reauthenticated=recently_reauthenticated(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: MeExportOutputSerializer, **ERRORS_401_403},
        description="Everything stored about the signed-in person, as JSON.",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        export = selectors.user_export_get(request.user)
        return Response(MeExportOutputSerializer(export).data)


class MeModerationAccessApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: ModerationAccessOutputSerializer, **ERRORS_401_403},
        description="Whether the moderation API would serve the signed-in person, and what is "
        "missing (the moderator role, or two-factor authentication when it is required).",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        access = selectors.moderation_access_get(request.user, request_session(request))
        return Response(ModerationAccessOutputSerializer(access).data)


class UserDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "username", OpenApiTypes.STR, OpenApiParameter.PATH, description="Username."
            )
        ],
        responses={200: PublicProfileOutputSerializer, 404: ErrorOutputSerializer},
        description="A person's public profile. Never an email address; the affiliation only "
        "if the person chose to show it.",
    )
    def get(self, request: Request, username: str) -> Response:
        profile = selectors.profile_get_public(username)
        return Response(PublicProfileOutputSerializer(profile, context={"request": request}).data)
