"""Provider membership (issue 16): verified by staff or by the domain rule, one per person
and provider, and a member's reviews of the provider's models are conflicted automatically."""

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory

from events.models import Delivery, Event
from models_catalog.exceptions import MembershipInvalid
from models_catalog.memberships import (
    MEMBERSHIP_CHANGED,
    membership_from_verified_email,
    membership_get,
    membership_grant,
    membership_revoke,
)
from models_catalog.models import (
    MembershipBasis,
    MembershipRole,
    ProviderDomain,
    ProviderMembership,
)
from reviews.models import ModelRating, Review
from reviews.ratings import rating_recompute
from reviews.services import ReviewDraft, review_create, review_verify
from reviews.services.conflicts import review_conflicts_refresh
from tests.conftest import make_user
from tests.factories import AIModelFactory, ProviderFactory
from tests.reviews.conftest import BODY

pytestmark = pytest.mark.django_db


@pytest.fixture
def openai():
    return ProviderFactory(slug="openai", name="OpenAI")


def _review(author, model):
    return review_create(
        author=author, model=model, draft=ReviewDraft(rating=5, title="Great", body=BODY)
    )


def test_membership_grant_by_staff_records_role_basis_and_the_outbox_event(openai, admin):
    user = make_user()
    membership = membership_grant(provider=openai, user=user, granted_by=admin.user)
    assert (membership.role, membership.basis, membership.granted_by) == (
        MembershipRole.MEMBER, MembershipBasis.STAFF, admin.user,
    )  # fmt: skip
    event = Event.objects.get(type=MEMBERSHIP_CHANGED)
    assert event.payload == {"user_id": user.pk, "provider_id": openai.pk}
    assert Delivery.objects.filter(event=event, consumer="review_conflicts_refresh").exists()


def test_membership_grant_again_changes_the_role_and_keeps_one_row(openai):
    user = make_user()
    membership_grant(provider=openai, user=user)
    membership_grant(provider=openai, user=user, role=MembershipRole.MANAGER)
    assert ProviderMembership.objects.get(user=user).role == MembershipRole.MANAGER


def test_membership_is_unique_per_user_and_provider_in_the_database(openai):
    user = make_user()
    membership_grant(provider=openai, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderMembership.objects.create(provider=openai, user=user, basis="staff")


def test_membership_grant_rejects_an_unknown_role_and_an_inactive_account(openai):
    with pytest.raises(MembershipInvalid) as error:
        membership_grant(provider=openai, user=make_user(), role="owner")
    assert error.value.code == "membership_invalid"
    with pytest.raises(MembershipInvalid):
        membership_grant(provider=openai, user=make_user(is_active=False))


def test_domain_rule_makes_a_verified_address_at_a_registered_domain_a_member(openai):
    ProviderDomain.objects.create(provider=openai, domain="openai.com")
    user = make_user(email="sam@OpenAI.com")
    address = EmailAddress.objects.get(user=user)
    # allauth sends `email_confirmed` when the address is verified: the receiver applies it
    email_confirmed.send(sender=None, request=RequestFactory().get("/"), email_address=address)
    membership = membership_get(user_id=user.pk, provider_id=openai.pk)
    assert membership is not None
    assert (membership.role, membership.basis) == (MembershipRole.MEMBER, MembershipBasis.DOMAIN)


def test_domain_rule_ignores_unverified_addresses_and_other_domains(openai):
    ProviderDomain.objects.create(provider=openai, domain="openai.com")
    unverified = make_user(email="eve@openai.com", verified=False)
    elsewhere = make_user(email="bob@notopenai.com")
    for user in (unverified, elsewhere):
        address = EmailAddress.objects.get(user=user)
        assert membership_from_verified_email(email_address_id=address.pk) is None
    assert not ProviderMembership.objects.exists()


def test_domain_rule_keeps_an_existing_manager_a_manager(openai):
    ProviderDomain.objects.create(provider=openai, domain="openai.com")
    user = make_user(email="lead@openai.com")
    membership_grant(provider=openai, user=user, role=MembershipRole.MANAGER)
    address = EmailAddress.objects.get(user=user)
    assert membership_from_verified_email(email_address_id=address.pk).role == "manager"


def test_a_members_new_review_of_the_providers_model_is_conflicted_and_not_counted(
    openai, moderator
):
    model = AIModelFactory(provider=openai)
    member = make_user()
    membership_grant(provider=openai, user=member)
    review = review_verify(review=_review(member, model), moderator=moderator.user)
    assert review.conflict_of_interest is True
    rating_recompute(model.pk)
    assert ModelRating.objects.get(model=model).review_count == 0


def test_a_members_review_of_another_providers_model_is_not_conflicted(openai):
    member = make_user()
    membership_grant(provider=openai, user=member)
    review = _review(member, AIModelFactory())
    assert review.conflict_of_interest is False


def test_membership_granted_after_the_review_marks_it_conflicted_and_revoking_unmarks(
    openai, moderator
):
    model = AIModelFactory(provider=openai)
    author = make_user()
    review = review_verify(review=_review(author, model), moderator=moderator.user)
    assert review.conflict_of_interest is False
    membership_grant(provider=openai, user=author)
    # the outbox consumer of `provider.membership_changed` runs this service
    assert review_conflicts_refresh(user_id=author.pk, provider_id=openai.pk) == 1
    assert Review.objects.get(pk=review.pk).conflict_of_interest is True
    rating_recompute(model.pk)
    assert ModelRating.objects.get(model=model).review_count == 0
    membership_revoke(provider=openai, user=author)
    assert review_conflicts_refresh(user_id=author.pk, provider_id=openai.pk) == 1
    assert Review.objects.get(pk=review.pk).conflict_of_interest is False
    # idempotent: nothing changes the second time
    assert review_conflicts_refresh(user_id=author.pk, provider_id=openai.pk) == 0


def test_provider_member_command_grants_promotes_and_revokes(openai, capsys):
    user = make_user(email="ann@example.org")
    call_command("provider_member", "openai", "ann@example.org")
    assert membership_get(user_id=user.pk, provider_id=openai.pk).role == "member"
    call_command("provider_member", "openai", "ann@example.org", "--role", "manager")
    assert membership_get(user_id=user.pk, provider_id=openai.pk).role == "manager"
    call_command("provider_member", "openai", "ann@example.org", "--revoke")
    assert membership_get(user_id=user.pk, provider_id=openai.pk) is None
    with pytest.raises(CommandError):
        call_command("provider_member", "nope", "ann@example.org")


def test_admin_action_makes_manager_and_adding_a_row_goes_through_the_service(openai, admin):
    user = make_user()
    browser = Client()
    browser.force_login(admin.user)
    response = browser.post(
        "/admin/models_catalog/providermembership/add/",
        {"provider": openai.pk, "user": user.pk, "role": "member"},
    )
    assert response.status_code == 302, response.content[:500]
    membership = ProviderMembership.objects.get(user=user)
    assert (membership.basis, membership.granted_by) == ("staff", admin.user)
    response = browser.post(
        "/admin/models_catalog/providermembership/",
        {"action": "make_manager", "_selected_action": [membership.pk]},
    )
    assert response.status_code == 302
    assert ProviderMembership.objects.get(user=user).role == "manager"
    assert Event.objects.filter(type=MEMBERSHIP_CHANGED).count() == 2
