"""Auth in the contract (issue 15, item 5): allauth's specification served and merged into
ours, only the reauthentication flows we mean, and mail that names the person by the name
they chose and links only to frontend routes the README documents."""

import re

import pytest
from allauth.account.internal.flows.reauthentication import get_reauthentication_flows
from django.conf import settings
from django.core import mail
from drf_spectacular.generators import SchemaGenerator

from accounts.models import User
from reviews.models import ModerationEvent
from reviews.services import review_outcome_notify
from tests.accounts.conftest import APP, PROJECT_DIR, AppClient, flows, mails_to, verification_key
from tests.conftest import PERSONA_PASSWORD, make_user, token_client
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db
README = (PROJECT_DIR / "README.md").read_text()
URL = re.compile(r"https?://[^\s>\"']+")


def test_allauth_specification_is_served_as_json(client):
    response = client.get("/_allauth/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert "/_allauth/{client}/v1/auth/signup" in spec["paths"]
    # the CDN-backed HTML page is not served (our docs work offline)
    assert client.get("/_allauth/openapi.html").status_code == 404


def test_our_schema_merges_the_auth_flows_we_offer_and_links_allauths():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = set(schema["paths"])
    assert {
        "/_allauth/{client}/v1/auth/signup",
        "/_allauth/{client}/v1/auth/email/verify",
        "/_allauth/{client}/v1/auth/login",
        "/_allauth/{client}/v1/auth/reauthenticate",
        "/_allauth/{client}/v1/auth/2fa/reauthenticate",
        "/_allauth/{client}/v1/account/authenticators/totp",
        "/_allauth/{client}/v1/account/password/change",
        "/api/v1/models/{provider}/{model}/reviews/",
    } <= paths
    offered_not = [p for p in paths if "/code/" in p or "/phone" in p or "/tokens/" in p]
    assert offered_not == []
    signup = schema["paths"]["/_allauth/{client}/v1/auth/signup"]["post"]
    assert signup["operationId"] == "allauth_auth_signup_post"
    assert schema["externalDocs"]["url"] == "/_allauth/openapi.json"
    assert "/_allauth/openapi.json" in schema["info"]["description"]
    # the sign-up input names our extra field
    assert "display_name" in schema["components"]["schemas"]["BaseSignup"]["properties"]


def test_only_password_and_mfa_reauthentication_are_offered(verified):
    assert settings.ACCOUNT_REAUTHENTICATION_METHODS == ("password", "mfa")
    assert [flow["id"] for flow in get_reauthentication_flows(verified.user)] == ["reauthenticate"]
    # the code flow allauth would otherwise offer is refused
    response = verified.client.post(f"{APP}/auth/reauthenticate/code/request", {}, format="json")
    assert response.status_code in (403, 404)
    # the password flow works with the app session token
    response = verified.client.post(
        f"{APP}/auth/reauthenticate", {"password": PERSONA_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert "reauthenticate_by_code" not in flows(response)


def _links(message: mail.EmailMessage) -> list[str]:
    return URL.findall(str(message.body))


def _frontend_routes() -> list[re.Pattern]:
    """The frontend routes the README documents (its "Frontend routes" table), as patterns."""
    section = README.split("### Frontend routes", 1)[1].split("\n#", 1)[0]
    routes = re.findall(r"^\| `(/[^`]*)`", section, flags=re.MULTILINE)
    assert routes, "the README documents no frontend route"
    return [re.compile(re.escape(route).replace(r"\{key\}", "[^/]+")) for route in routes]


def _assert_names_and_links(message: mail.EmailMessage, user: User | None) -> None:
    if user is not None:
        # (the factory's usernames are also the local part of its addresses)
        assert user.username not in message.body.replace(user.email, ""), message.body
        assert user.username not in message.subject
    routes = _frontend_routes()
    for link in _links(message):
        assert link.startswith(settings.FRONTEND_URL + "/"), link
        path = link.removeprefix(settings.FRONTEND_URL)
        assert any(route.fullmatch(path) for route in routes), f"{path} is not in the README"


def test_signup_mail_greets_by_the_chosen_name_and_links_a_documented_route(commit):
    app = AppClient()
    with commit():
        response = app.request(
            "post", f"{APP}/auth/signup",
            {"email": "ada@example.org", "password": "plum-Orbit-47-lantern",
             "display_name": "Ada Lovelace"},
        )  # fmt: skip
    assert response.status_code == 401
    user = User.objects.get(email="ada@example.org")
    assert user.display_name == "Ada Lovelace"
    [message] = mails_to("ada@example.org")
    assert message.body.startswith("Hello Ada Lovelace,")
    _assert_names_and_links(message, user)
    # allauth's user payload names them the same way
    with commit():
        verified = app.request(
            "post", f"{APP}/auth/email/verify", {"key": verification_key(user.email)}
        )
    assert verified.json()["data"]["user"]["display"] == "Ada Lovelace"


def test_mail_without_a_chosen_name_never_uses_the_generated_username(commit):
    with commit():
        AppClient().signup("anon@example.org")
    user = User.objects.get(email="anon@example.org")
    [message] = mails_to(user.email)
    assert message.body.startswith("Hello,")
    _assert_names_and_links(message, user)


def test_every_account_mail_links_only_documented_frontend_routes(commit):
    person = make_user(display_name="Grace")
    with commit():
        AppClient().signup(person.email)  # "account already exists"
        AppClient().request("post", f"{APP}/auth/password/request", {"email": person.email})
        AppClient().request("post", f"{APP}/auth/password/request", {"email": "ghost@example.org"})
        token_client(person).post(
            f"{APP}/account/password/change",
            {"current_password": PERSONA_PASSWORD, "new_password": "another-Long-pass-93"},
            format="json",
        )
    sent = mails_to(person.email)
    assert len(sent) == 3, [m.subject for m in sent]
    for message in sent:
        assert message.body.startswith("Hello Grace,"), message.body
        _assert_names_and_links(message, person)
    [unknown] = mails_to("ghost@example.org")
    _assert_names_and_links(unknown, None)
    assert any("/account/password/reset/key/" in m.body for m in sent)


def test_review_outcome_mail_greets_by_name_and_links_a_documented_route(commit, moderator):
    author = make_user(display_name="Hedy")
    review = ReviewFactory(author=author, published=True)
    event = ModerationEvent.objects.create(
        review=review, actor=moderator.user, action="hide", from_status="published",
        to_status="hidden", reason="spam",
    )  # fmt: skip
    with commit():
        review_outcome_notify(event_id=event.pk)
    [message] = mails_to(author.email)
    assert message.body.startswith("Hello Hedy,")
    _assert_names_and_links(message, author)
