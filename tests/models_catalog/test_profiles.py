"""The claimed provider profile (issue 16): managers propose, a moderator accepts, imports
never overwrite what was accepted."""

import pytest
from django.db import IntegrityError, transaction

from models_catalog.memberships import membership_grant
from models_catalog.models import ProviderProfileEdit
from models_catalog.profiles import profile_edit_accept, profile_edit_propose
from models_catalog.services import provider_get_or_create
from tests.conftest import make_user, token_client
from tests.factories import ProviderFactory
from tests.references import provider_ref

pytestmark = pytest.mark.django_db

CHANGES = {
    "description": "We build the o-series reasoning models.",
    "support_url": "https://help.openai.com/",
    "support_email": "support@openai.com",
    "links": [{"label": "Docs", "url": "https://platform.openai.com/docs"}],
}


@pytest.fixture
def openai():
    return ProviderFactory(slug="openai", name="OpenAI")


@pytest.fixture
def manager(openai):
    user = make_user()
    membership_grant(provider=openai, user=user, role="manager")
    return user


def test_manager_proposes_moderator_accepts_and_the_profile_shows_it(
    openai, manager, moderator, anonymous
):
    response = token_client(manager).patch(
        "/api/v1/providers/openai/profile/", CHANGES, format="json"
    )
    assert (response.status_code, response.json()["state"]) == (202, "pending")
    assert response.json()["provider"] == provider_ref("openai", "OpenAI")
    # nothing public before a moderator accepts
    assert anonymous.client.get("/api/v1/providers/openai/").json()["support_url"] == ""
    [waiting] = moderator.client.get("/api/v1/moderation/provider-profiles/").json()["results"]
    assert waiting["provider"] == provider_ref("openai", "OpenAI")
    accepted = moderator.client.post(
        f"/api/v1/moderation/provider-profiles/{waiting['id']}/accept/", {}, format="json"
    )
    assert (accepted.status_code, accepted.json()["state"]) == (200, "accepted")
    page = anonymous.client.get("/api/v1/providers/openai/").json()
    assert {name: page[name] for name in CHANGES} == CHANGES
    assert page["claimed"] is True


def test_a_plain_member_or_another_providers_manager_cannot_edit_the_profile(openai):
    member, outsider = make_user(), make_user()
    membership_grant(provider=openai, user=member)
    membership_grant(provider=ProviderFactory(), user=outsider, role="manager")
    for user in (member, outsider):
        response = token_client(user).patch(
            "/api/v1/providers/openai/profile/", CHANGES, format="json"
        )
        assert (response.status_code, response.json()["code"]) == (403, "not_provider_manager")


def test_profile_input_is_validated(openai, manager):
    bad = {"links": [{"label": "x", "url": "javascript:alert(1)"}]}
    response = token_client(manager).patch("/api/v1/providers/openai/profile/", bad, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["links.0.url"]


def test_a_new_proposal_supersedes_the_waiting_one_and_one_pending_is_a_constraint(openai, manager):
    first = profile_edit_propose(provider=openai, user=manager, changes={"description": "A"})
    profile_edit_propose(provider=openai, user=manager, changes={"description": "B"})
    first.refresh_from_db()
    assert first.state == ProviderProfileEdit.State.SUPERSEDED
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderProfileEdit.objects.create(provider=openai, submitted_by=manager, changes={})


def test_moderator_cannot_accept_own_proposal_nor_decide_twice(openai, moderator):
    membership_grant(provider=openai, user=moderator.user, role="manager")
    edit = profile_edit_propose(provider=openai, user=moderator.user, changes={"description": "A"})
    url = f"/api/v1/moderation/provider-profiles/{edit.pk}/accept/"
    response = moderator.client.post(url, {}, format="json")
    assert response.json()["code"] == "cannot_moderate_own_profile_edit"
    other = make_user()
    from accounts.services import moderator_grant

    moderator_grant(user=other)
    client = token_client(other)
    assert client.post(url, {}, format="json").status_code == 200
    response = client.post(url, {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "profile_edit_not_pending")


def test_accepted_profile_survives_a_reimport(openai, manager, moderator):
    edit = profile_edit_propose(provider=openai, user=manager, changes={"description": "Ours"})
    profile_edit_accept(edit=edit, moderator=moderator.user)
    provider, created = provider_get_or_create(slug="openai", name="OpenAI (imported)")
    assert (created, provider.description, provider.name) == (False, "Ours", "OpenAI")


def test_profile_proposals_are_throttled_per_account(openai, manager, settings):
    from django.conf import settings as django_settings

    rates = {
        **django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "provider_profile": "1/day",
    }
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = token_client(manager)
    statuses = [
        client.patch("/api/v1/providers/openai/profile/", CHANGES, format="json").status_code
        for _ in range(2)
    ]
    assert statuses == [202, 429]
