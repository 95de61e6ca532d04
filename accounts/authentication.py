"""How our DRF API recognises the person behind a request: allauth's headless sessions."""

from types import SimpleNamespace

from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from django.contrib.sessions.backends.base import SessionBase
from drf_spectacular.contrib.django_allauth import XSessionTokenAuthenticationScheme
from rest_framework.request import Request


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's `X-Session-Token` (the `app` client), answering 401 rather than 403.

    DRF answers 401 only when the first authentication class names a scheme for the
    `WWW-Authenticate` header; allauth's class names none, so a missing, expired or revoked
    token would look like a lack of permission. A token that no longer resolves still counts
    as anonymous (public endpoints keep working); protected ones answer 401.
    """

    def authenticate_header(self, request: Request) -> str:
        return "X-Session-Token"


class SessionTokenAuthenticationScheme(XSessionTokenAuthenticationScheme):
    """Same OpenAPI security scheme as allauth's class (drf-spectacular matches exact classes)."""

    target_class = "accounts.authentication.SessionTokenAuthentication"


def request_session(request: Request) -> SessionBase:
    """The allauth session behind the request: the token's session for `app` clients, the
    cookie session for `browser` clients."""
    if isinstance(request.auth, SessionBase):
        return request.auth
    return request.session


def recently_reauthenticated(request: Request) -> bool:
    """Whether the person re-entered a credential through allauth's reauthenticate flow within
    ACCOUNT_REAUTHENTICATION_TIMEOUT, in the session this request uses."""
    # allauth reads `.user` and `.session` only; for `app` clients the session is the token's,
    # not the (empty) cookie session of the underlying Django request.
    view_of_request = SimpleNamespace(user=request.user, session=request_session(request))
    return did_recently_reauthenticate(view_of_request)
