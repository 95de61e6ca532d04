"""DRF permissions about who a person is. Compose them as a list, which DRF checks in order:
`[IsAuthenticated, IsVerified]` for writes, `[IsAuthenticated, IsVerified, CanModerate]` for
moderation. (`IsAuthenticated & IsVerified` means the same but loses each class's `code`.)"""

from django.http import HttpRequest
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.authentication import request_session
from accounts.exceptions import EmailNotVerified
from accounts.models import User
from accounts.selectors import moderation_access_get, user_email_verified


class AuthenticatedRequest(Request):
    """The request of a view method behind `IsAuthenticated`: its `user` is a `User`.

    Only a type, for annotations (never instantiated): the permission check that runs before
    the method is what makes it true.
    """

    user: User


class AuthenticatedHttpRequest(HttpRequest):
    """The same for the admin, whose site lets only signed-in staff in."""

    user: User


class IsVerified(BasePermission):
    """The person has verified their primary email address. Every write of ours needs it.

    allauth's mandatory verification already keeps unverified accounts from logging in; this
    also covers sessions made any other way (the admin's login form, a shell, a test).
    """

    message = EmailNotVerified.default_message
    code = EmailNotVerified.code

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user_email_verified(user, fresh=True))


class CanModerate(BasePermission):
    """The person holds the moderation permission and, when MODERATION_REQUIRE_MFA is on, has
    a second factor (TOTP) enabled in allauth.mfa and used it in this session (a session
    signed in with the password alone is refused, `mfa_session_required`)."""

    message = "Only moderators may do this."
    code = "moderation_not_allowed"

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        access = moderation_access_get(user, session=request_session(request))
        if access.has_permission and not access.allowed:
            if not access.mfa_enabled:
                raise PermissionDenied(
                    "Moderators must enable two-factor authentication (TOTP) first.",
                    code="mfa_required",
                )
            raise PermissionDenied(
                "This session did not pass the second factor: sign in again with your "
                "authenticator code, or re-authenticate with it.",
                code="mfa_session_required",
            )
        return access.allowed
