"""GET/PATCH /api/v1/me/ and the public profile GET /api/v1/users/{username}/."""

import pytest

from accounts.models import User
from accounts.selectors import user_published_review_count
from accounts.services import user_erase
from tests.factories import ProviderFactory, ReviewFactory
from tests.references import provider_ref

pytestmark = pytest.mark.django_db


def test_me_shows_own_profile_with_roles(moderator, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = moderator.client.get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "username", "display_name", "bio", "affiliation", "affiliation_public", "email",
        "email_verified", "roles", "date_joined",
    }  # fmt: skip
    assert body["email"] == moderator.user.email
    assert body["roles"] == ["moderator"]


def test_me_roles_of_admin_and_of_everyone_else(admin, verified):
    assert admin.client.get("/api/v1/me/").json()["roles"] == ["admin"]
    assert verified.client.get("/api/v1/me/").json()["roles"] == []


def test_me_update_changes_only_given_fields(verified):
    ProviderFactory(slug="openai", name="OpenAI")
    response = verified.client.patch(
        "/api/v1/me/",
        {"display_name": "Ada", "affiliation": "openai", "affiliation_public": True},
        format="json",
    )
    assert response.status_code == 200
    # written as a slug, shown as the provider's reference object (as everywhere)
    assert response.json()["affiliation"] == provider_ref("openai", "OpenAI")
    verified.user.refresh_from_db()
    assert (verified.user.display_name, verified.user.bio) == ("Ada", "")
    assert verified.user.affiliation_public is True


def test_me_update_rejects_unknown_affiliation(verified):
    response = verified.client.patch("/api/v1/me/", {"affiliation": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "affiliation_unknown"
    assert "affiliation" in response.json()["fields"]


def test_me_update_clears_affiliation_with_blank(verified):
    User.objects.filter(pk=verified.user.pk).update(affiliation="openai")
    response = verified.client.patch("/api/v1/me/", {"affiliation": ""}, format="json")
    assert response.json()["affiliation"] is None


def test_me_update_validates_shape(verified):
    response = verified.client.patch("/api/v1/me/", {"bio": "x" * 1001}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "bio" in response.json()["fields"]


def test_me_update_refused_for_unverified_account(unverified):
    response = unverified.client.patch("/api/v1/me/", {"bio": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    # reading is still allowed, and says why
    assert unverified.client.get("/api/v1/me/").json()["email_verified"] is False


def test_me_requires_a_session(anonymous):
    response = anonymous.client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "X-Session-Token"


def test_public_profile_never_shows_email_and_hides_private_affiliation(
    anonymous, verified, django_assert_max_num_queries
):
    User.objects.filter(pk=verified.user.pk).update(affiliation="openai", bio="Hi")
    with django_assert_max_num_queries(2):
        response = anonymous.client.get(f"/api/v1/users/{verified.user.username}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "username", "url", "display_name", "bio", "date_joined", "published_review_count",
        "affiliation",
    }  # fmt: skip
    assert body["url"] == f"http://testserver/api/v1/users/{verified.user.username}/"
    assert body["affiliation"] is None
    assert body["published_review_count"] == 0
    assert verified.user.email not in response.content.decode()


def test_public_profile_shows_affiliation_the_person_chose_to_show(anonymous, verified):
    provider = ProviderFactory(slug="openai", name="OpenAI")
    User.objects.filter(pk=verified.user.pk).update(affiliation="openai", affiliation_public=True)
    response = anonymous.client.get(f"/api/v1/users/{verified.user.username}/")
    assert response.json()["affiliation"] == provider_ref("openai", "OpenAI")
    # a provider deleted since reads as none (the stored slug is stale)
    provider.delete()
    assert (
        anonymous.client.get(f"/api/v1/users/{verified.user.username}/").json()["affiliation"]
        is None
    )


def test_public_profile_of_unknown_or_erased_account_is_not_found(anonymous, verified):
    username = verified.user.username
    user_erase(user=verified.user)
    for name in (username, "no-such-user"):
        response = anonymous.client.get(f"/api/v1/users/{name}/")
        assert response.status_code == 404
        assert response.json()["code"] == "user_not_found"
    erased = User.objects.get(pk=verified.user.pk)
    assert anonymous.client.get(f"/api/v1/users/{erased.username}/").status_code == 404


def test_published_review_count_counts_only_published_reviews(verified):
    assert user_published_review_count(verified.user) == 0
    ReviewFactory(author=verified.user, published=True)
    ReviewFactory(author=verified.user, status="pending")
    ReviewFactory(author=verified.user, status="rejected")
    assert user_published_review_count(verified.user) == 1
