"""Provider membership: who speaks for a provider (reads and writes of one sub-domain).

A membership is verified, never declared: staff grant it (admin action, or the command
`provider_member`), or a domain rule does (a verified email address at a domain registered
for the provider). It lives in the catalog because it names a provider; accounts stays below.

Every grant and revocation records `provider.membership_changed` in the outbox, in the same
transaction: the reviews app consumes it to mark the person's reviews of the provider's
models as conflicted (or no longer), so a membership granted after a review still counts.
"""

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction

from accounts.models import User
from events.services import outbox_record
from models_catalog.exceptions import MembershipInvalid
from models_catalog.models import (
    MembershipBasis,
    MembershipRole,
    Provider,
    ProviderDomain,
    ProviderMembership,
)

MEMBERSHIP_CHANGED = "provider.membership_changed"


def _changed(user_id: int, provider_id: int) -> None:
    outbox_record(MEMBERSHIP_CHANGED, {"user_id": user_id, "provider_id": provider_id})


# --- Reads -------------------------------------------------------------------------------


def membership_get(*, user_id: int | None, provider_id: int) -> ProviderMembership | None:
    """The person's membership of the provider, if any (one query; None for anonymous)."""
    if user_id is None:
        return None
    return ProviderMembership.objects.filter(user_id=user_id, provider_id=provider_id).first()


def membership_is_manager(*, user_id: int | None, provider_id: int) -> bool:
    membership = membership_get(user_id=user_id, provider_id=provider_id)
    return membership is not None and membership.role == MembershipRole.MANAGER


def provider_for_domain(domain: str) -> Provider | None:
    """The provider that registered `domain` (exact, case ignored), if any."""
    row = ProviderDomain.objects.select_related("provider").filter(domain=domain.lower()).first()
    return row.provider if row else None


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


# --- Writes ------------------------------------------------------------------------------


@transaction.atomic
def membership_grant(
    *,
    provider: Provider,
    user: User,
    role: str = MembershipRole.MEMBER,
    basis: str = MembershipBasis.STAFF,
    granted_by: User | None = None,
) -> ProviderMembership:
    """Make `user` a member (or manager) of `provider`; granting again sets the role
    (idempotent). Raises MembershipInvalid for an unknown role or an inactive or erased
    account. Records `provider.membership_changed`."""
    if role not in MembershipRole.values:
        raise MembershipInvalid(f"Role must be one of {MembershipRole.values}.", field="role")
    if not user.is_active or user.erased_at is not None:
        raise MembershipInvalid("Only an active account can be a member.", field="user")
    defaults = {"role": role, "basis": basis, "granted_by": granted_by}
    try:
        # A savepoint: two grants racing both try the INSERT; the unique constraint lets
        # one win and the other updates the row it made.
        with transaction.atomic():
            membership, _ = ProviderMembership.objects.update_or_create(
                user=user, provider=provider, defaults=defaults
            )
    except IntegrityError:
        membership = ProviderMembership.objects.get(user=user, provider=provider)
        ProviderMembership.objects.filter(pk=membership.pk).update(**defaults)
        membership.refresh_from_db()
    _changed(user.pk, provider.pk)
    return membership


@transaction.atomic
def membership_revoke(*, provider: Provider, user: User) -> bool:
    """End the membership; False if there was none. Records `provider.membership_changed`."""
    deleted, _ = ProviderMembership.objects.filter(user=user, provider=provider).delete()
    if deleted:
        _changed(user.pk, provider.pk)
    return bool(deleted)


@transaction.atomic
def membership_from_verified_email(*, email_address_id: int) -> ProviderMembership | None:
    """The domain rule: a verified address at a provider's registered domain makes its
    account a member (role `member`, basis `domain`). An existing membership is kept as it
    is (a manager stays a manager). Returns the membership, or None when no rule applies."""
    address = (
        EmailAddress.objects.select_related("user").filter(pk=email_address_id, verified=True)
    ).first()
    if address is None:
        return None
    provider = provider_for_domain(email_domain(address.email))
    if provider is None:
        return None
    existing = membership_get(user_id=address.user_id, provider_id=provider.pk)
    if existing is not None:
        return existing
    return membership_grant(provider=provider, user=address.user, basis=MembershipBasis.DOMAIN)
