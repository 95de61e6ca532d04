"""The admin signs in through allauth: its rate limits, its second factor, its session list;
and the moderation permission asks whether *this session* passed the second factor."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from allauth.usersessions.models import UserSession
from django.test import Client

from accounts.services import moderator_grant
from tests.accounts.conftest import mails_to
from tests.accounts.test_roles import totp_code
from tests.conftest import PERSONA_PASSWORD, make_user

pytestmark = pytest.mark.django_db
MODERATION_API = "/api/v1/moderation/queue/"


def _moderator_with_totp() -> tuple:
    user = make_user()
    moderator_grant(user=user)
    secret = generate_totp_secret()
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": secret}
    )  # allauth stores the secret encrypted by its adapter; the default adapter is plain.
    return user, secret


def _sign_in_to_admin(client: Client, email: str, password: str) -> object:
    start = client.get("/admin/login/?next=/admin/")
    assert start.status_code == 302
    assert start["Location"].startswith("/accounts/login/")
    return client.post(start["Location"], {"login": email, "password": password})


def test_admin_login_goes_through_allauth_and_asks_for_the_code(settings):
    # given a moderator with TOTP, and MFA required for moderation
    settings.MODERATION_REQUIRE_MFA = True
    user, secret = _moderator_with_totp()
    client = Client()

    # when they sign in to the admin with the right password
    response = _sign_in_to_admin(client, user.email, PERSONA_PASSWORD)

    # then they are asked for the code, and are not signed in yet
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/reviews/review/").status_code == 302
    assert client.get(MODERATION_API).status_code in (401, 403)

    # when they enter the code
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert done.status_code == 302

    # then the admin and the moderation API serve them, and the session is listed
    assert client.get("/admin/").status_code == 200
    assert client.get(MODERATION_API).status_code == 200
    assert UserSession.objects.filter(user=user).count() == 1


def test_password_only_session_of_a_totp_moderator_cannot_moderate(settings):
    # given a moderator with TOTP whose session was made with the password alone (say a
    # login stage skipped by a bug, or a session made any other way)
    settings.MODERATION_REQUIRE_MFA = True
    user, _ = _moderator_with_totp()
    client = Client()
    client.force_login(user)

    # then neither the moderation API nor the admin's actions serve that session
    refused = client.get(MODERATION_API)
    assert (refused.status_code, refused.json()["code"]) == (403, "mfa_session_required")
    access = client.get("/api/v1/me/moderation-access/").json()
    assert (access["allowed"], access["mfa_enabled"], access["mfa_authenticated"]) == (
        False, True, False,
    )  # fmt: skip
    changelist = client.get("/admin/reviews/review/")
    assert changelist.status_code == 200  # reading, yes (tests/reviews/test_admin_actions.py)
    assert "Verify (publish" not in changelist.content.decode()


def test_sixth_wrong_admin_password_is_refused_even_when_right():
    user = make_user(is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(5):
        wrong = _sign_in_to_admin(client, user.email, "not-the-password")
        assert wrong.status_code == 200  # the form again, with an error
    sixth = _sign_in_to_admin(client, user.email, PERSONA_PASSWORD)
    assert sixth.status_code == 200
    assert "Too many failed login attempts" in sixth.content.decode()
    assert client.get("/admin/").status_code == 302


def test_admin_without_mfa_signs_in_with_password_through_allauth():
    user = make_user(is_staff=True, is_superuser=True)
    client = Client()
    response = _sign_in_to_admin(client, user.email, PERSONA_PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


def test_staff_without_a_verified_address_is_sent_a_verification_mail(commit):
    # given a superuser made without a verified address (as `createsuperuser` makes them)
    user = make_user(verified=False, is_staff=True, is_superuser=True)
    client = Client()
    with commit():
        response = _sign_in_to_admin(client, user.email, PERSONA_PASSWORD)
    # then they are told to verify it (a page, not an error), and the mail went out
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert mails_to(user.email)
    assert client.get("/admin/").status_code == 302
