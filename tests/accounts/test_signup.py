"""Sign-up, verification and login through allauth's headless API, as frontends do it."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings

from accounts.models import User
from tests.accounts.conftest import (
    APP,
    STRONG_PASSWORD,
    AppClient,
    BrowserClient,
    flows,
    mails_to,
    verification_key,
)
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.django_db


def test_app_signup_verify_then_me_shows_email_verified(commit):
    # given a new person on the app client
    app = AppClient()
    email = "ada@example.org"

    # when they sign up
    with commit():
        response = app.signup(email)

    # then they are not logged in yet: verification is pending and a mail went out
    assert response.status_code == 401
    assert flows(response)["verify_email"]["is_pending"] is True
    assert app.token, "the pending flow lives in an app session token"
    [message] = mails_to(email)
    assert message.subject.startswith("[AI model reviews] ")
    assert f"{settings.FRONTEND_URL}/account/verify-email/" in message.body

    # and before verifying, no write of ours succeeds and /me/ does not know them
    assert app.request("patch", "/api/v1/me/", {"bio": "hi"}).status_code == 401
    assert app.request("get", "/api/v1/me/").status_code == 401

    # when they verify with the key from the mail
    with commit():
        response = app.request("post", f"{APP}/auth/email/verify", {"key": verification_key(email)})

    # then they are logged in with a session token, and /me/ shows the email verified
    assert response.status_code == 200, response.json()
    assert response.json()["meta"]["is_authenticated"] is True
    me = app.request("get", "/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert me.json()["email_verified"] is True
    assert app.request("patch", "/api/v1/me/", {"bio": "Evaluates LLMs."}).status_code == 200


def test_browser_signup_verify_then_me_with_cookies_and_csrf(commit):
    browser = BrowserClient()
    email = "grace@example.org"

    # a POST without the CSRF token is refused before allauth sees it
    refused = browser.request(
        "post", "/_allauth/browser/v1/auth/signup", {"email": email}, csrf=False
    )
    assert refused.status_code == 403

    with commit():
        response = browser.request(
            "post",
            "/_allauth/browser/v1/auth/signup",
            {"email": email, "password": STRONG_PASSWORD},
        )
    assert response.status_code == 401
    assert flows(response)["verify_email"]["is_pending"] is True
    assert browser.request("patch", "/api/v1/me/", {"bio": "x"}).status_code == 401

    with commit():
        response = browser.request(
            "post", "/_allauth/browser/v1/auth/email/verify", {"key": verification_key(email)}
        )
    assert response.status_code == 200
    assert "sessionid" in browser.http.cookies

    me = browser.request("get", "/api/v1/me/", csrf=False)
    assert me.status_code == 200
    assert me.json()["email_verified"] is True
    # our API enforces CSRF on cookie sessions too; the token rotated at login
    no_csrf = browser.request("patch", "/api/v1/me/", {"bio": "Hi"}, csrf=False)
    assert no_csrf.status_code == 403
    assert browser.request("patch", "/api/v1/me/", {"bio": "Hi"}).json()["bio"] == "Hi"


def test_signup_generates_unique_username_not_derived_from_email(commit):
    with commit():
        AppClient().signup("john.smith@example.org")
        AppClient().signup("john.smith@example.net")
    usernames = list(User.objects.values_list("username", flat=True))
    assert len(set(usernames)) == 2
    assert all(name.startswith("user-") and "john" not in name for name in usernames)


def test_signup_rejects_weak_password_with_django_validators():
    response = AppClient().signup("weak@example.org", password="password")
    assert response.status_code == 400
    assert {error["param"] for error in response.json()["errors"]} == {"password"}
    assert not User.objects.filter(email="weak@example.org").exists()


def test_unverified_login_is_refused_and_resends_verification(commit, settings):
    # given someone who signed up and never verified
    with commit():
        AppClient().signup("late@example.org")
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "confirm_email": None}

    # when they log in with the right password
    app = AppClient()
    with commit():
        response = app.login("late@example.org")

    # then they get no session, only the pending verification, and a new mail
    assert response.status_code == 401
    assert flows(response)["verify_email"]["is_pending"] is True
    assert app.request("get", "/api/v1/me/").status_code == 401
    assert len(mails_to("late@example.org")) == 2


def test_verified_login_gives_a_token_our_api_accepts(verified):
    app = AppClient()
    response = app.login(verified.user.email, PERSONA_PASSWORD)
    assert response.status_code == 200
    assert app.request("get", "/api/v1/me/").json()["username"] == verified.user.username


# --- No account enumeration ----------------------------------------------------------------


def _shape(response) -> tuple:
    """What a response reveals, minus its session token."""
    body = response.json()
    return response.status_code, sorted(flows(response)), body.get("errors")


def test_signup_with_existing_email_answers_like_a_new_one(commit, verified):
    with commit():
        taken = AppClient().signup(verified.user.email)
        fresh = AppClient().signup("nobody-yet@example.org")
    assert _shape(taken) == _shape(fresh)
    assert flows(taken)["verify_email"]["is_pending"] is True
    # the owner of the address is told by mail instead; no second account exists
    assert mails_to(verified.user.email)
    assert EmailAddress.objects.filter(email__iexact=verified.user.email).count() == 1


def test_password_reset_answers_alike_for_known_and_unknown_email(commit, verified):
    with commit():
        known = AppClient().request(
            "post", f"{APP}/auth/password/request", {"email": verified.user.email}
        )
        unknown = AppClient().request(
            "post", f"{APP}/auth/password/request", {"email": "ghost@example.org"}
        )
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert "password/reset/key/" in mails_to(verified.user.email)[0].body


def test_login_failure_answers_alike_for_unknown_email_and_wrong_password(verified):
    wrong_password = AppClient().login(verified.user.email, "not-the-password")
    unknown_email = AppClient().login("ghost@example.org", "not-the-password")
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json()["errors"] == unknown_email.json()["errors"]
