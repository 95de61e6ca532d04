"""The users admin: verification state, roles and MFA at a glance, filters, erasure."""

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:accounts_user_changelist")


@pytest.fixture
def admin_site(admin) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


def test_user_changelist_shows_verification_roles_and_mfa_with_bounded_queries(
    admin_site, moderator, unverified, django_assert_max_num_queries
):
    Authenticator.objects.create(user=moderator.user, type="totp", data={"secret": "x"})
    with django_assert_max_num_queries(12):
        response = admin_site.get(CHANGELIST)
    assert response.status_code == 200
    rows = {row.username: row for row in response.context["cl"].result_list}
    assert rows[moderator.user.username].email_verified is True
    assert rows[moderator.user.username].mfa_enabled is True
    assert rows[unverified.user.username].email_verified is False
    assert "moderator" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("email_verified=no", {"unverified"}),
        ("mfa_enabled=yes", {"moderator"}),
        ("groups__id__exact={moderator_group}", {"moderator"}),
    ],
)
def test_user_changelist_filters(admin_site, admin, moderator, unverified, query, expected):
    Authenticator.objects.create(user=moderator.user, type="totp", data={"secret": "x"})
    group = moderator.user.groups.get()
    response = admin_site.get(f"{CHANGELIST}?{query.format(moderator_group=group.pk)}")
    shown = {row.username for row in response.context["cl"].result_list}
    people = {"unverified": unverified, "moderator": moderator}
    assert shown == {people[name].user.username for name in expected}


def test_user_change_page_lists_email_addresses_inline(admin_site, verified):
    response = admin_site.get(reverse("admin:accounts_user_change", args=[verified.user.pk]))
    assert response.status_code == 200
    assert verified.user.email in response.content.decode()


def test_admin_erase_action_anonymises_and_keeps_the_row(admin_site, verified):
    response = admin_site.post(
        CHANGELIST, {"action": "erase_personal_data", "_selected_action": [verified.user.pk]}
    )
    assert response.status_code == 302
    user = User.objects.get(pk=verified.user.pk)
    assert user.erased_at is not None
    assert user.username.startswith("deleted-")
