"""Reads about accounts: profiles, roles, moderation access and the personal-data export."""

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.exceptions import UserNotFound
from accounts.models import (
    API_KEY_PREFIX,
    MODERATE_PERMISSION,
    MODERATOR_GROUP,
    ApiKey,
    Role,
    User,
)
from config.throttles import ApiKeyInfo

# Authenticators that are a second factor by themselves. Recovery codes are only a fallback
# and exist only beside one of these (allauth deletes them with the last real factor).
SECOND_FACTOR_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


@dataclass(frozen=True)
class Affiliation:
    """The provider a person works for, as profiles show it (slug and display name)."""

    slug: str
    name: str


@dataclass(frozen=True)
class PrivateProfile:
    username: str
    display_name: str
    bio: str
    affiliation: Affiliation | None
    affiliation_public: bool
    email: str
    email_verified: bool
    roles: list[str]
    date_joined: dt.datetime


@dataclass(frozen=True)
class PublicProfile:
    username: str
    display_name: str
    bio: str
    date_joined: dt.datetime
    published_review_count: int
    affiliation: Affiliation | None


@dataclass(frozen=True)
class ModerationAccess:
    has_permission: bool
    mfa_enabled: bool
    mfa_required: bool
    # Whether the session asking completed the second factor (allauth recorded an `mfa`
    # authentication in it). None when there is no session to judge: a shell, a task, a
    # service called directly; the interfaces (API, admin) always pass theirs.
    mfa_authenticated: bool | None = None

    @property
    def allowed(self) -> bool:
        if not self.has_permission:
            return False
        if not self.mfa_required:
            return True
        return self.mfa_enabled and self.mfa_authenticated is not False


# A permission check (accounts.permissions) leaves its answer on the request's user instance,
# and the service's own check of the same rule later in that request reads it instead of
# asking the database again (Django keeps `has_perm`'s answers on the instance the same way).
# Only a permission check (`fresh`) writes it, and it always asks the database.
_EMAIL_VERIFIED = "_checked_email_verified"
_MFA_ENABLED = "_checked_mfa_enabled"
_CAN_MODERATE = "_checked_can_moderate"


def user_email_verified(user: User, *, fresh: bool = False) -> bool:
    """Whether the account's primary email address is verified (allauth's EmailAddress).
    `fresh` (a permission check): always asked, and remembered for the request's services."""
    if not fresh and hasattr(user, _EMAIL_VERIFIED):
        return bool(getattr(user, _EMAIL_VERIFIED))
    verified = EmailAddress.objects.filter(user_id=user.pk, primary=True, verified=True).exists()
    if fresh:
        setattr(user, _EMAIL_VERIFIED, verified)
    return verified


def user_roles(user: User) -> list[str]:
    """The person's roles, e.g. `["moderator", "admin"]`; an empty list for everyone else."""
    roles = []
    if user.groups.filter(name=MODERATOR_GROUP).exists():
        roles.append(Role.MODERATOR.value)
    if user.is_superuser:
        roles.append(Role.ADMIN.value)
    return roles


def user_mfa_enabled(user: User, *, fresh: bool = False) -> bool:
    """Whether the person has a second factor (TOTP or a security key) set up in allauth.mfa.
    `fresh`: as `user_email_verified`'s."""
    if not fresh and hasattr(user, _MFA_ENABLED):
        return bool(getattr(user, _MFA_ENABLED))
    enabled = get_mfa_adapter().is_mfa_enabled(user, types=SECOND_FACTOR_TYPES)
    if fresh:
        setattr(user, _MFA_ENABLED, enabled)
    return enabled


def session_mfa_authenticated(session: SessionBase, user: User) -> bool:
    """Whether `session` (a cookie session or an app client's token session) passed the
    second factor for `user`: allauth records each authentication step of a session, and
    an `mfa` step is there after the code at sign-in (or a re-authentication with it).
    Having TOTP on the account is not enough: the session may have used the password only."""
    records = get_authentication_records(SimpleNamespace(session=session), user)
    return any(record.get("method") == "mfa" for record in records)


def _holds_moderate_permission(user: User, *, fresh: bool) -> bool:
    """`user.has_perm(MODERATE_PERMISSION)` in one query. Django's ModelBackend (the one
    backend that grants permissions here; allauth's inherits it) answers it by loading every
    permission of the person and of each of their groups: two queries joined with the
    content types, on every moderation request. Same rules: an inactive account holds none,
    a superuser all. `fresh`: as `user_email_verified`'s."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not fresh and hasattr(user, _CAN_MODERATE):
        return bool(getattr(user, _CAN_MODERATE))
    app_label, codename = MODERATE_PERMISSION.split(".")
    held = (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .filter(Q(user=user) | Q(group__user=user))
        .exists()
    )
    if fresh:
        setattr(user, _CAN_MODERATE, held)
    return held


def moderation_access_get(user: User, session: SessionBase | None = None) -> ModerationAccess:
    """Whether `user` may moderate, and why not: the moderation permission (the `moderator`
    group, or superuser) and, when MODERATION_REQUIRE_MFA is on, MFA set up and, given the
    `session` asking, completed in that session (asked by the permission check: MFA set up
    is then asked afresh; a service's check without a session reuses its answer)."""
    return ModerationAccess(
        has_permission=_holds_moderate_permission(user, fresh=session is not None),
        mfa_enabled=user_mfa_enabled(user, fresh=session is not None),
        mfa_required=settings.MODERATION_REQUIRE_MFA,
        mfa_authenticated=None if session is None else session_mfa_authenticated(session, user),
    )


def user_get_by_email(email: str) -> User:
    """The active account whose primary address is `email` (any case); UserNotFound if none."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise UserNotFound(f"No active account has the email address {email!r}.")
    return user


def user_get_by_username(username: str) -> User:
    """The account with this username (erased ones too: their trail stays); UserNotFound."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise UserNotFound("No account has this username.")
    return user


def user_published_review_count(user: User) -> int:
    """How many of the person's reviews are published.

    accounts cannot import reviews (imports run reviews -> models_catalog -> accounts), so the
    count goes through the reverse relation `reviews` that reviews.Review.author adds.
    """
    return user.reviews.filter(status="published").count()


def affiliation_get(slug: str) -> Affiliation | None:
    """The provider a stored affiliation slug names; None for blank or a provider deleted
    since (a stale slug reads as none). One query when not blank.

    accounts sits below models_catalog in the import order, so the Provider model is looked
    up by name at run time, as `accounts.services` checks the slug on write."""
    if not slug:
        return None
    provider_model = apps.get_model("models_catalog", "Provider")
    row = provider_model.objects.filter(slug=slug).values("slug", "name").first()
    return None if row is None else Affiliation(slug=row["slug"], name=row["name"])


def profile_get_private(user: User) -> PrivateProfile:
    """Everything the person sees about their own account on /me/: one query for what is
    not on the user row (the verified address, the moderator group, the affiliation's name;
    each as its own selector reads it)."""
    provider_model = apps.get_model("models_catalog", "Provider")
    facts = (
        User.objects.filter(pk=user.pk)
        .annotate(
            email_verified_=Exists(
                EmailAddress.objects.filter(user_id=OuterRef("pk"), primary=True, verified=True)
            ),
            moderator_=Exists(
                User.groups.through.objects.filter(
                    user_id=OuterRef("pk"), group__name=MODERATOR_GROUP
                )
            ),
            affiliation_name_=Subquery(
                provider_model.objects.filter(slug=OuterRef("affiliation")).values("name")[:1]
            ),
        )
        .values("email_verified_", "moderator_", "affiliation_name_")
        .get()
    )
    name = facts["affiliation_name_"] if user.affiliation else None
    roles = [Role.MODERATOR.value] if facts["moderator_"] else []
    if user.is_superuser:
        roles.append(Role.ADMIN.value)
    return PrivateProfile(
        username=user.username,
        display_name=user.display_name,
        bio=user.bio,
        affiliation=None if name is None else Affiliation(slug=user.affiliation, name=name),
        affiliation_public=user.affiliation_public,
        email=user.email,
        email_verified=facts["email_verified_"],
        roles=roles,
        date_joined=user.date_joined,
    )


def profile_get_public(username: str) -> PublicProfile:
    """What anyone may see about an active account: never an email address, and the
    affiliation only when the person chose to show it. UserNotFound for erased accounts."""
    user = User.objects.filter(username=username, is_active=True, erased_at=None).first()
    if user is None:
        raise UserNotFound()
    return PublicProfile(
        username=user.username,
        display_name=user.display_name,
        bio=user.bio,
        date_joined=user.date_joined,
        published_review_count=user_published_review_count(user),
        affiliation=affiliation_get(user.affiliation) if user.affiliation_public else None,
    )


# --- Personal-data export ----------------------------------------------------------------

ExportSection = Callable[[User], Any]
_EXPORT_SECTIONS: dict[str, ExportSection] = {}


def export_section_register(name: str, build: ExportSection) -> None:
    """Let another app add what it stores about a person to the export, under `apps.<name>`.

    Called from that app's `AppConfig.ready()` (e.g. reviews adds the person's reviews):
    accounts cannot import those apps, so they come to it. `build(user)` returns JSON data.
    """
    _EXPORT_SECTIONS[name] = build


def _export_profile(user: User) -> dict[str, Any]:
    fields = [
        "username", "email", "display_name", "first_name", "last_name", "bio", "affiliation",
        "affiliation_public", "date_joined", "last_login", "is_active", "is_staff",
    ]  # fmt: skip
    return {name: getattr(user, name) for name in fields}


def user_export_get(user: User) -> dict[str, Any]:
    """Everything stored about the person, as JSON-ready data (no password hash, no MFA
    secrets): profile, roles, email addresses, MFA factors, sessions and other apps' data."""
    emails = EmailAddress.objects.filter(user_id=user.pk).order_by("-primary", "email")
    authenticators = Authenticator.objects.filter(user_id=user.pk).order_by("created_at")
    sessions = UserSession.objects.filter(user_id=user.pk).order_by("-last_seen_at")
    session_list = [
        {
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "ip": s.ip,
            "user_agent": s.user_agent,
        }
        for s in sessions
    ]
    return {
        "exported_at": timezone.now(),
        "profile": _export_profile(user),
        "roles": user_roles(user),
        "emails": [
            {"email": e.email, "verified": e.verified, "primary": e.primary} for e in emails
        ],
        "mfa": [
            {"type": a.type, "created_at": a.created_at, "last_used_at": a.last_used_at}
            for a in authenticators
        ],
        "sessions": {"count": len(session_list), "sessions": session_list},
        "apps": {name: build(user) for name, build in sorted(_EXPORT_SECTIONS.items())},
    }


def api_key_digest(raw: str) -> str:
    """How a key is stored and looked up: its SHA-256 (the key is 256 random bits, so a
    plain hash is enough; no salt or slow hash is needed against guessing)."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def api_key_find(raw: str) -> ApiKeyInfo | None:
    """The record of a raw `X-Api-Key` value (revoked ones too, so the refusal can say so);
    None if no key has that digest. Registered in config.throttles by accounts.apps."""
    if not raw.startswith(API_KEY_PREFIX) or len(raw) > 100:
        return None
    key = ApiKey.objects.filter(digest=api_key_digest(raw)).first()
    if key is None:
        return None
    return ApiKeyInfo(id=key.pk, name=key.name, rate=key.rate, revoked=key.revoked_at is not None)
