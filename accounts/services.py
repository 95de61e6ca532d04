"""Writes about accounts: profiles, roles, erasure and sending mail."""

import secrets
from collections.abc import Callable

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.exceptions import (
    AffiliationUnknown,
    DisplayNameNotAllowed,
    EmailNotVerified,
    PasswordIncorrect,
    ReauthenticationRequired,
)
from accounts.models import API_KEY_PREFIX, MODERATOR_GROUP, ApiKey, User
from accounts.selectors import api_key_digest, user_email_verified
from config.documents import REVIEWERS, generations_bump
from config.idempotency.store import idempotency_keys_forget
from config.text import BIDI_MESSAGE, comparable, has_bidi_controls, visible_length
from config.throttles import api_keys_forget

# Lowercase letters and digits without the look-alikes (l, o, 0, 1).
_USERNAME_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def username_generate(prefix: str = "user") -> str:
    """A fresh unique username such as `user-k3m9x2ab7q`.

    Usernames are public (profile URLs, review bylines), so they are never derived from the
    email address, whose local part is personal data. 32**10 names make a collision between
    the check and the insert negligible; the unique index still guards it.
    """
    while True:
        candidate = f"{prefix}-{get_random_string(10, _USERNAME_ALPHABET)}"
        if not User.objects.filter(username=candidate).exists():
            return candidate


def mail_send(
    *, subject: str, body: str, html_body: str, from_email: str, recipients: list[str]
) -> None:
    """Send one message through Django's mail API (SMTP in production).

    Raises what the backend raises (smtplib / socket errors); the calling task decides
    whether to retry.
    """
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=from_email, to=recipients
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    message.send(fail_silently=False)


def _affiliation_check(slug: str) -> None:
    # accounts sits below models_catalog in the import order (reviews -> models_catalog ->
    # accounts), so the Provider model is looked up by name at run time, not imported. A
    # provider deleted later leaves a stale slug; readers treat an unknown slug as none.
    provider_model = apps.get_model("models_catalog", "Provider")
    if not provider_model.objects.filter(slug=slug).exists():
        raise AffiliationUnknown(slug)


# What an erased account shows as (User.__str__); nobody may pass for one.
_RESERVED_NAMES = {"deleted account"}


def display_name_check(name: str, user: User | None = None) -> None:
    """Raise DisplayNameNotAllowed for a name with no visible character, with bidirectional
    controls, or that reads as another person's username or as "deleted account" (compared
    after NFKC, without format characters, case-insensitively)."""
    if has_bidi_controls(name):
        raise DisplayNameNotAllowed(BIDI_MESSAGE)
    if not visible_length(name):
        raise DisplayNameNotAllowed("Must contain visible characters, or be empty.")
    shown = comparable(name)
    others = User.objects.filter(username__iexact=shown)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if shown in _RESERVED_NAMES or others.exists():
        raise DisplayNameNotAllowed("Must not read as another person's name.")


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    bio: str | None = None,
    affiliation: str | None = None,
    affiliation_public: bool | None = None,
) -> User:
    """Change the given profile fields (None leaves a field as it is) and return the user.

    Raises AffiliationUnknown when `affiliation` is not blank and names no provider.
    """
    changes = {
        "display_name": display_name,
        "bio": bio,
        "affiliation": affiliation,
        "affiliation_public": affiliation_public,
    }
    changes = {name: value for name, value in changes.items() if value is not None}
    if display_name:
        display_name_check(display_name, user)
    if affiliation:
        _affiliation_check(affiliation)
    for name, value in changes.items():
        setattr(user, name, value)
    if changes:
        user.save(update_fields=list(changes))
    if "display_name" in changes:  # the byline of their reviews
        generations_bump([REVIEWERS])
    return user


# --- Roles ------------------------------------------------------------------------------


def moderator_group_get_or_create() -> Group:
    """The `moderator` group holding the moderation permission.

    Migration 0002 creates it; this puts it back if it was deleted (in the admin, or by a
    test database flush), so granting the role never depends on that row surviving.
    """
    group, _ = Group.objects.get_or_create(name=MODERATOR_GROUP)
    permission = Permission.objects.get(
        content_type__app_label="accounts", codename="moderate_reviews"
    )
    group.permissions.add(permission)
    return group


@transaction.atomic
def moderator_grant(*, user: User) -> bool:
    """Make `user` a moderator; False if they already were. Moderators are staff, so they
    can sign in to the admin, where they see only what the moderation permission opens.

    Raises EmailNotVerified: a moderator must be a reachable, accountable person.
    """
    if not user_email_verified(user):
        raise EmailNotVerified(
            f"{user.email or user.username} has not verified their email address yet."
        )
    group = moderator_group_get_or_create()
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    return True


@transaction.atomic
def moderator_revoke(*, user: User) -> bool:
    """Take the moderator role (and the admin sign-in it came with, unless the person is a
    superuser) from `user`; False if they did not have it."""
    removed, _ = user.groups.through.objects.filter(
        user_id=user.pk, group__name=MODERATOR_GROUP
    ).delete()
    if removed and user.is_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    return removed > 0


# --- Leaving ----------------------------------------------------------------------------


def _sessions_end(user: User) -> None:
    # Every allauth login (browser cookie or app session token) is a UserSession; ending it
    # deletes the session from the session store, so its cookie or token stops working.
    # Sessions allauth did not record (the admin's own login form) die anyway: the password
    # below changes, so their stored auth hash no longer matches, and the user is inactive.
    for session in UserSession.objects.filter(user_id=user.pk):
        session.end()


Eraser = Callable[[User], None]
_ERASERS: dict[str, Eraser] = {}


def erasure_register(name: str, erase: Eraser) -> None:
    """Let another app erase what it stores about a person when the account is erased.

    The counterpart of `accounts.selectors.export_section_register`, called from the same
    `AppConfig.ready()` (accounts cannot import the apps above it). `erase(user)` runs inside
    the erasing transaction, after accounts' own fields are cleared, in registration order;
    it commits or rolls back with the erasure and defers slow work with `delay_on_commit`.
    """
    _ERASERS[name] = erase


@transaction.atomic
def user_erase(*, user: User) -> None:
    """Erase the person's personal data and end all their sessions; keep the row.

    The row stays, anonymised (`deleted-…`, inactive, unusable password, `erased_at` set),
    so reviews and the moderation audit trail can show "deleted account". Email addresses,
    MFA factors, sessions, roles and stored Idempotency-Key answers are deleted; then every
    registered eraser runs (the reviews app blanks review texts and report notes). Erasing an
    erased account does nothing.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.erased_at is not None:
        return
    _sessions_end(user)
    EmailAddress.objects.filter(user_id=user.pk).delete()
    Authenticator.objects.filter(user_id=user.pk).delete()
    user.groups.clear()
    user.user_permissions.clear()
    user.username = username_generate(prefix="deleted")
    for field in ("email", "first_name", "last_name", "display_name", "bio", "affiliation"):
        setattr(user, field, "")
    user.affiliation_public = False
    user.is_active = user.is_staff = user.is_superuser = False
    user.last_login = None
    user.set_unusable_password()
    user.erased_at = timezone.now()
    user.save()
    # The admin's change log keeps a copy of the display name (`str(user)`) per entry.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=str(user))
    # Stored answers of retried writes may hold the profile as it was (config.idempotency).
    idempotency_keys_forget(user_id=user.pk)
    for erase in _ERASERS.values():
        erase(user)
    generations_bump([REVIEWERS])  # "deleted account" beside their reviews


def user_erase_self(*, user: User, password: str | None, recently_reauthenticated: bool) -> None:
    """The person erases their own account, confirming with their password or a recent
    re-authentication (allauth's reauthenticate flow).

    Raises PasswordIncorrect, or ReauthenticationRequired when neither was given.
    """
    if password:
        if not user.check_password(password):
            raise PasswordIncorrect()
    elif not recently_reauthenticated:
        raise ReauthenticationRequired()
    user_erase(user=user)


def api_key_issue(*, key: ApiKey, created_by: User | None) -> str:
    """Give an unsaved key its secret and save it; returns the raw key, which is shown once
    and never stored (only its digest and first characters are)."""
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key.prefix = raw[: len(API_KEY_PREFIX) + 6]
    key.digest = api_key_digest(raw)
    key.created_by = created_by
    key.full_clean()
    key.save()
    return raw


def api_key_create(*, name: str, rate: str, created_by: User | None) -> tuple[ApiKey, str]:
    key = ApiKey(name=name, rate=rate)
    return key, api_key_issue(key=key, created_by=created_by)


def api_key_revoke(*, key: ApiKey) -> bool:
    """Refuse the key from now on (this process at once, the others within
    API_KEY_CACHE_SECONDS); False if it was revoked already."""
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    api_keys_forget()
    return bool(updated)
