"""Who may open the workbench: the API's rule (`CanModerate`), told in words a person acts on.

The same `moderation_access_get` the API and the admin ask, with this session: the moderation
permission and, when MODERATION_REQUIRE_MFA is on, a second factor set up and used to sign in
this session. Each refusal says what to do next (sign in, set up two-factor
authentication, sign in again with the code) instead of one "Only moderators" for all.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import moderation_access_get, user_email_verified

NOT_A_MODERATOR = (
    "This workbench is for moderators. Ask an administrator for the moderator role if you "
    "should have it."
)
VERIFY_EMAIL = "Verify your email address first (follow the link in the mail we sent you)."
SET_UP_MFA = (
    "Moderators need two-factor authentication. Set up an authenticator app (TOTP) in your "
    "account settings, then sign out and sign in again with your code."
)
SIGN_IN_WITH_CODE = (
    "This session was signed in without your authenticator code. Sign out and sign in again: "
    "you will be asked for the code."
)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "moderation/denied.html", {"message": message}, status=403)


def refusal(request: HttpRequest) -> str | None:
    """Why the signed-in person may not use the workbench in this session; None if they may."""
    user = request.user
    if not user_email_verified(user):  # type: ignore[arg-type]  # signed in: a User
        return VERIFY_EMAIL
    access = moderation_access_get(user, session=request.session)  # type: ignore[arg-type]
    if access.allowed:
        return None
    if not access.has_permission:
        return NOT_A_MODERATOR
    return SIGN_IN_WITH_CODE if access.mfa_enabled else SET_UP_MFA


def moderator_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve `view` to moderators who may act in this session; send anyone signed out to the
    sign-in page (allauth's, with its second-factor step), and refuse the rest with a 403
    page that says why."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        message = refusal(request)
        if message is not None:
            return _refused(request, message)
        return view(request, *args, **kwargs)

    return wrapped
