"""Leaving: GET /api/v1/me/export/ and DELETE /api/v1/me/."""

from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session

from accounts.models import User
from accounts.selectors import export_section_register
from accounts.services import _ERASERS, erasure_register
from tests.accounts.conftest import APP, STRONG_PASSWORD, AppClient, verification_key
from tests.conftest import PERSONA_PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def erased_ids() -> Iterator[list[int]]:
    """User ids that the registered erasers were called for while the test ran."""
    received: list[int] = []
    erasure_register("testing", lambda user: received.append(user.pk))
    yield received
    _ERASERS.pop("testing")


def _signed_up_and_verified(commit, email: str) -> AppClient:
    app = AppClient()
    with commit():
        app.signup(email)
    with commit():
        verified = app.request("post", f"{APP}/auth/email/verify", {"key": verification_key(email)})
    assert verified.status_code == 200
    return app


def test_export_holds_everything_stored_about_the_person(verified):
    Authenticator.objects.create(user=verified.user, type="totp", data={"secret": "S3CR3T"})
    response = verified.client.get("/api/v1/me/export/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"exported_at", "profile", "roles", "emails", "mfa", "sessions", "apps"}
    assert body["profile"]["email"] == verified.user.email
    assert body["emails"] == [{"email": verified.user.email, "verified": True, "primary": True}]
    assert [factor["type"] for factor in body["mfa"]] == ["totp"]
    assert "S3CR3T" not in response.content.decode()
    assert body["sessions"]["count"] == 0  # this test session was not made by allauth


def test_export_lists_allauth_sessions_and_sections_other_apps_register(commit):
    app = _signed_up_and_verified(commit, "ada@example.org")
    export_section_register("testing", lambda user: {"username": user.username})
    try:
        body = app.request("get", "/api/v1/me/export/").json()
    finally:
        from accounts.selectors import _EXPORT_SECTIONS

        _EXPORT_SECTIONS.pop("testing")
    assert body["sessions"]["count"] == 1
    assert body["sessions"]["sessions"][0]["ip"] == "127.0.0.1"
    assert set(body["sessions"]["sessions"][0]) == {
        "created_at",
        "last_seen_at",
        "ip",
        "user_agent",
    }
    assert body["apps"]["testing"] == {"username": body["profile"]["username"]}


def test_delete_me_erases_the_account_and_ends_its_sessions(commit, erased_ids):
    # given a person who signed up through the app and has a session token
    app = _signed_up_and_verified(commit, "leaving@example.org")
    old_token = app.token
    user = User.objects.get(email="leaving@example.org")
    assert Session.objects.filter(session_key=old_token).exists()

    # when they delete their account with their password
    response = app.request("delete", "/api/v1/me/", {"password": STRONG_PASSWORD})

    # then it is gone for them: the old token is rejected and there is no export any more
    assert response.status_code == 204
    assert app.request("get", "/api/v1/me/").status_code == 401
    assert app.request("get", "/api/v1/me/export/").status_code == 401
    assert not Session.objects.filter(session_key=old_token).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert AppClient().login("leaving@example.org").status_code == 400

    # and the row remains, anonymised, for the audit trail
    user.refresh_from_db()
    assert user.username.startswith("deleted-")
    assert (user.email, user.display_name, user.bio, user.affiliation) == ("", "", "", "")
    assert not user.is_active
    assert not user.has_usable_password()
    assert user.erased_at is not None
    assert str(user) == "deleted account"
    assert not EmailAddress.objects.filter(user=user).exists()
    assert erased_ids == [user.pk]

    # and the address is free for a new account
    with commit():
        AppClient().signup("leaving@example.org")
    assert User.objects.filter(email="leaving@example.org").exclude(pk=user.pk).exists()


def test_delete_me_after_reauthentication_needs_no_password(verified, erased_ids):
    app = AppClient()
    assert app.login(verified.user.email, PERSONA_PASSWORD).status_code == 200
    # a fresh login is not a re-authentication
    refused = app.request("delete", "/api/v1/me/", {})
    assert (refused.status_code, refused.json()["code"]) == (403, "reauthentication_required")

    reauth = app.request("post", f"{APP}/auth/reauthenticate", {"password": PERSONA_PASSWORD})
    assert reauth.status_code == 200
    assert app.request("delete", "/api/v1/me/").status_code == 204
    assert erased_ids == [verified.user.pk]


def test_delete_me_with_wrong_password_keeps_the_account(verified, erased_ids):
    response = verified.client.delete("/api/v1/me/", {"password": "guess"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "password_incorrect"
    assert "password" in response.json()["fields"]
    assert verified.client.get("/api/v1/me/").status_code == 200
    assert erased_ids == []


def test_delete_me_password_guesses_are_throttled(verified):
    # THROTTLE_ACCOUNT_ERASE: 10 per hour (DRF reads throttle rates once, at import)
    statuses = [
        verified.client.delete("/api/v1/me/", {"password": "guess"}, format="json").status_code
        for _ in range(11)
    ]
    assert statuses == [400] * 10 + [429]
    assert verified.client.get("/api/v1/me/").status_code == 200  # reads are not throttled


def test_delete_me_with_cookie_session_of_browser_client(verified):
    from tests.accounts.conftest import BrowserClient

    browser = BrowserClient()
    login = browser.request(
        "post",
        "/_allauth/browser/v1/auth/login",
        {"email": verified.user.email, "password": PERSONA_PASSWORD},
    )
    assert login.status_code == 200
    response = browser.request("delete", "/api/v1/me/", {"password": PERSONA_PASSWORD})
    assert response.status_code == 204
    assert browser.request("get", "/api/v1/me/", csrf=False).status_code == 401


def test_erasing_keeps_other_accounts_untouched(verified, other_verified):
    verified.client.delete("/api/v1/me/", {"password": PERSONA_PASSWORD}, format="json")
    assert other_verified.client.get("/api/v1/me/").json()["email"] == other_verified.user.email
    assert make_user().pk  # and new signups still work alongside the erased row
