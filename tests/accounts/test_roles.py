"""Roles: the moderator group and its commands, MFA through the headless API, CanModerate."""

import os
import subprocess
import sys
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.models import MODERATE_PERMISSION, MODERATOR_GROUP
from tests.accounts.conftest import (
    APP,
    PROJECT_DIR,
    AppClient,
    database_url_for_subprocess,
    flows,
)
from tests.conftest import PERSONA_PASSWORD, make_user

pytestmark = pytest.mark.django_db
PROBE = "/probe/moderation/"


def totp_code(secret: str, step: int = 0) -> str:
    """The code an authenticator app shows now (or `step` periods later), via allauth."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def test_moderator_group_from_migration_holds_the_moderation_permission():
    group = Group.objects.get(name=MODERATOR_GROUP)
    app_label, codename = MODERATE_PERMISSION.split(".")
    assert group.permissions.filter(content_type__app_label=app_label, codename=codename).exists()


def test_grant_and_revoke_moderator_commands(capsys):
    user = make_user()

    call_command("grant_moderator", user.email.upper())
    assert "is now a moderator" in capsys.readouterr().out
    assert user.has_perm(MODERATE_PERMISSION)

    call_command("grant_moderator", user.email)
    assert "was a moderator already" in capsys.readouterr().out

    call_command("revoke_moderator", user.email)
    assert "is no longer a moderator" in capsys.readouterr().out
    user = type(user).objects.get(pk=user.pk)  # fresh permission cache
    assert not user.has_perm(MODERATE_PERMISSION)

    call_command("revoke_moderator", user.email)
    assert "was not a moderator" in capsys.readouterr().out


def test_grant_moderator_refuses_unverified_account():
    user = make_user(verified=False)
    with pytest.raises(CommandError, match="has not verified"):
        call_command("grant_moderator", user.email)
    assert not user.groups.exists()


def test_grant_moderator_recreates_a_deleted_group():
    Group.objects.filter(name=MODERATOR_GROUP).delete()
    user = make_user()
    call_command("grant_moderator", user.email)
    assert user.has_perm(MODERATE_PERMISSION)


@pytest.mark.parametrize("command", ["grant_moderator", "revoke_moderator"])
def test_role_commands_exit_non_zero_for_unknown_email(command):
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", command, "nobody@example.org"],
        cwd=PROJECT_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_subprocess(),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "No active account has the email address 'nobody@example.org'" in result.stderr


@pytest.mark.urls("tests.accounts.moderation_probe_urls")
def test_moderator_needs_totp_set_up_through_headless_api_when_required(settings):
    # given MFA is required for moderators, and someone just made a moderator
    settings.MODERATION_REQUIRE_MFA = True
    settings.MFA_TOTP_TOLERANCE = 2  # codes of the next periods (each code is used once)
    user = make_user()
    call_command("grant_moderator", user.email)
    app = AppClient()
    assert app.login(user.email, PERSONA_PASSWORD).status_code == 200

    # then, without MFA, the moderation permission refuses them
    refused = app.request("get", PROBE)
    assert (refused.status_code, refused.json()["code"]) == (403, "mfa_required")
    access = app.request("get", "/api/v1/me/moderation-access/").json()
    assert access == {
        "allowed": False, "has_permission": True, "mfa_enabled": False, "mfa_required": True,
        "mfa_authenticated": False,
    }  # fmt: skip

    # when they set up TOTP through allauth's headless MFA API (re-authenticating first)
    setup = app.request("get", f"{APP}/account/authenticators/totp")
    assert setup.status_code == 404  # none yet: the answer carries a fresh secret
    secret = setup.json()["meta"]["secret"]
    code = {"code": totp_code(secret)}
    needs_reauth = app.request("post", f"{APP}/account/authenticators/totp", code)
    assert needs_reauth.status_code == 401
    assert "reauthenticate" in flows(needs_reauth)
    reauth = app.request("post", f"{APP}/auth/reauthenticate", {"password": PERSONA_PASSWORD})
    assert reauth.status_code == 200
    activated = app.request(
        "post", f"{APP}/account/authenticators/totp", {"code": totp_code(secret)}
    )
    assert activated.status_code == 200, activated.json()

    # then this session, which never passed the second factor, is still refused
    refused = app.request("get", PROBE)
    assert (refused.status_code, refused.json()["code"]) == (403, "mfa_session_required")
    # until it re-authenticates with the code; then the same moderator passes, and has
    # recovery codes too
    step_up = app.request("post", f"{APP}/auth/2fa/reauthenticate", {"code": totp_code(secret, 1)})
    assert step_up.status_code == 200, step_up.json()
    assert app.request("get", PROBE).status_code == 200
    assert app.request("get", "/api/v1/me/moderation-access/").json()["allowed"] is True
    codes = app.request("get", f"{APP}/account/authenticators/recovery-codes")
    assert codes.status_code == 200

    # and logging in again now asks for the second factor
    second = AppClient()
    pending = second.login(user.email, PERSONA_PASSWORD)
    assert pending.status_code == 401
    assert flows(pending)["mfa_authenticate"]["is_pending"] is True
    done = second.request("post", f"{APP}/auth/2fa/authenticate", {"code": totp_code(secret, 2)})
    assert done.status_code == 200
    assert second.request("get", PROBE).status_code == 200


@pytest.mark.urls("tests.accounts.moderation_probe_urls")
def test_can_moderate_without_mfa_when_not_required(settings, moderator):
    settings.MODERATION_REQUIRE_MFA = False
    assert moderator.client.get(PROBE).status_code == 200


@pytest.mark.urls("tests.accounts.moderation_probe_urls")
def test_can_moderate_refuses_everyone_else(anonymous, unverified, verified, admin, settings):
    settings.MODERATION_REQUIRE_MFA = False
    assert anonymous.client.get(PROBE).status_code == 401
    assert unverified.client.get(PROBE).json()["code"] == "email_not_verified"
    denied = verified.client.get(PROBE)
    assert (denied.status_code, denied.json()["code"]) == (403, "moderation_not_allowed")
    # admins are superusers, who hold every permission
    assert admin.client.get(PROBE).status_code == 200


@pytest.mark.urls("tests.accounts.moderation_probe_urls")
def test_revoked_moderator_is_refused(moderator, settings):
    settings.MODERATION_REQUIRE_MFA = False
    call_command("revoke_moderator", moderator.user.email)
    assert moderator.client.get(PROBE).json()["code"] == "moderation_not_allowed"


def test_moderation_access_keeps_has_perms_rules():
    # The selector answers the moderation permission in one query of its own: the same
    # answer as Django's has_perm for each way to hold it, or not.
    from django.contrib.auth.models import Permission

    from accounts.selectors import moderation_access_get

    app_label, codename = MODERATE_PERMISSION.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    member, direct, inactive, nobody = (make_user() for _ in range(4))
    member.groups.add(Group.objects.get(name=MODERATOR_GROUP))
    direct.user_permissions.add(permission)
    inactive.groups.add(Group.objects.get(name=MODERATOR_GROUP))
    inactive.is_active = False
    inactive.save()
    superuser = make_user(is_superuser=True)
    for user, holds in [
        (member, True), (direct, True), (superuser, True), (inactive, False), (nobody, False)
    ]:  # fmt: skip
        assert moderation_access_get(user).has_permission is holds, user
        assert user.has_perm(MODERATE_PERMISSION) is holds, user


def test_every_authentication_backend_grants_permissions_as_the_model_backend():
    # The moderation permission is answered in one query with ModelBackend's rules
    # (accounts.selectors._holds_moderate_permission): a backend granting permissions some
    # other way would be bypassed there, so adding one must revisit that check.
    from django.contrib.auth import get_backends
    from django.contrib.auth.backends import ModelBackend

    assert all(isinstance(backend, ModelBackend) for backend in get_backends())
