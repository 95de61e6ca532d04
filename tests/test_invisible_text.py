"""Invisible and spoofing text: lengths count visible characters, bidirectional controls are
refused, and display names cannot pass for another person."""

import pytest

from tests.conftest import make_user
from tests.reviews.conftest import BODY, review_payload, review_url, reviews_url

pytestmark = pytest.mark.django_db
ZWSP, ZWJ, BOM = "\u200b", "\u200d", "\ufeff"
RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"


@pytest.fixture
def ai_model(db: None) -> object:
    from tests.factories import AIModelFactory

    return AIModelFactory()


def _fields(response) -> list[str]:
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    return list(response.json()["fields"])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ZWSP * 5}, "title"),
        ({"title": f"{ZWJ}{BOM} {ZWSP}"}, "title"),
        ({"body": ZWSP * 60}, "body"),
        ({"body": "Too short, really." + ZWSP * 60}, "body"),
        ({"title": f"Great {RLO}txet desrever"}, "title"),
        ({"body": BODY + f" {LRI}hidden{PDI}"}, "body"),
        ({"pros": f"fast {RLO}"}, "pros"),
        ({"cons": f"{LRI}x{PDI}"}, "cons"),
    ],
)
def test_review_texts_count_visible_characters_and_refuse_bidi(
    verified, ai_model, overrides, field
):
    response = verified.client.post(
        reviews_url(ai_model), review_payload(**overrides), format="json"
    )
    assert _fields(response) == [field]


def test_review_edit_refuses_bidi_controls(verified, ai_model):
    created = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    assert created.status_code == 201
    edit = verified.client.patch(
        review_url(created.json()["id"]), {"title": f"ok{RLO}"}, format="json"
    )
    assert _fields(edit) == ["title"]


def test_visible_text_with_a_joiner_inside_is_fine(verified, ai_model):
    # an emoji sequence uses ZWJ legitimately; it does not count, but is not refused
    payload = review_payload(title=f"Family \U0001f468{ZWJ}\U0001f469 approved")
    assert verified.client.post(reviews_url(ai_model), payload, format="json").status_code == 201


@pytest.mark.parametrize(
    "name",
    [
        ZWSP * 3,
        f"Alice{RLO}ecilA",
        f"{LRI}Bob{PDI}",
        "deleted account",
        "Deleted Account",
        f"deleted{ZWSP} account",
        # full-width letters: NFKC folds them
        "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "deleted account"),
    ],
)
def test_display_name_refuses_invisible_bidi_and_deleted_account(verified, name):
    response = verified.client.patch("/api/v1/me/", {"display_name": name}, format="json")
    assert _fields(response) == ["display_name"]


def test_display_name_cannot_be_another_persons_username(verified, other_verified):
    other = other_verified.user.username
    for name in (other, other.upper(), f"{ZWSP}{other}", other.replace("-", "\ufe63")):
        response = verified.client.patch("/api/v1/me/", {"display_name": name}, format="json")
        assert _fields(response) == ["display_name"], name
    # one's own username, or an ordinary name, is fine
    own = verified.client.patch(
        "/api/v1/me/", {"display_name": verified.user.username.upper()}, format="json"
    )
    assert own.status_code == 200
    assert (
        verified.client.patch("/api/v1/me/", {"display_name": "Ada L."}, format="json").status_code
        == 200
    )
    assert make_user(username="ada-l").pk  # an existing name that differs is no problem


def test_signup_display_name_follows_the_same_rules(other_verified):
    from tests.accounts.conftest import STRONG_PASSWORD, AppClient

    for name in ("Deleted Account", other_verified.user.username, f"Eve{RLO}"):
        response = AppClient().request(
            "post",
            "/_allauth/app/v1/auth/signup",
            {"email": "new@example.org", "password": STRONG_PASSWORD, "display_name": name},
        )
        assert response.status_code == 400, name
        assert {error["param"] for error in response.json()["errors"]} == {"display_name"}
