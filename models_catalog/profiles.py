"""The claimed provider profile: managers propose, moderators decide (reads and writes).

A provider's managers (models_catalog.memberships) edit its public profile (description,
website, links, support contact) through the API; like editorial content, the change is
public only once a moderator accepts it. Importers never write these fields, so an accepted
value is never overwritten by a later import.
"""

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.exceptions import EmailNotVerified, ModerationNotAllowed
from accounts.models import User
from accounts.selectors import moderation_access_get, user_email_verified
from models_catalog.exceptions import (
    CannotModerateOwnProfileEdit,
    NotProviderManager,
    ProfileEditNotFound,
    ProfileEditNotPending,
    ProfileInvalid,
)
from models_catalog.memberships import membership_is_manager
from models_catalog.models import Provider, ProviderProfileEdit
from models_catalog.services import catalog_documents_invalidate

PROFILE_FIELDS = ("description", "website", "support_url", "support_email", "links")
DESCRIPTION_MAX = 5_000
LINKS_MAX = 10
LABEL_MAX = 60


def _url_ok(value: str) -> bool:
    try:
        URLValidator(schemes=["https", "http"])(value)
    except ValidationError:
        return False
    return bool(urlsplit(value).netloc)


def _check_links(links: Any) -> None:
    if not isinstance(links, list) or len(links) > LINKS_MAX:
        raise ProfileInvalid(f"At most {LINKS_MAX} links.", field="links")
    for link in links:
        label, url = (link.get("label"), link.get("url")) if isinstance(link, dict) else ("", "")
        if not (isinstance(label, str) and 0 < len(label.strip()) <= LABEL_MAX):
            raise ProfileInvalid(
                f"Each link needs a label of 1 to {LABEL_MAX} characters.", field="links"
            )
        if not (isinstance(url, str) and _url_ok(url)):
            raise ProfileInvalid("Each link needs an http(s) URL.", field="links")


def profile_changes_check(changes: dict[str, Any]) -> None:
    """The rules every interface shares: known fields, http(s) URLs, a valid address."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown or not changes:
        raise ProfileInvalid(f"Send one or more of {PROFILE_FIELDS}.")
    if len(changes.get("description", "")) > DESCRIPTION_MAX:
        raise ProfileInvalid(f"At most {DESCRIPTION_MAX} characters.", field="description")
    for name in ("website", "support_url"):
        if changes.get(name) and not _url_ok(changes[name]):
            raise ProfileInvalid("Must be an http(s) URL.", field=name)
    if changes.get("support_email"):
        try:
            EmailValidator()(changes["support_email"])
        except ValidationError:
            raise ProfileInvalid("Must be an email address.", field="support_email") from None
    if "links" in changes:
        _check_links(changes["links"])


# --- Reads -------------------------------------------------------------------------------


def profile_edit_pending(*, provider: Provider) -> ProviderProfileEdit | None:
    return provider.profile_edits.filter(state=ProviderProfileEdit.State.PENDING).first()


def profile_edit_queue() -> QuerySet[ProviderProfileEdit]:
    """Proposals waiting for a moderator, oldest first (provider preloaded)."""
    edits = ProviderProfileEdit.objects.select_related("provider", "submitted_by")
    return edits.filter(state=ProviderProfileEdit.State.PENDING).order_by("created_at", "id")


def profile_edit_get(*, edit_id: int) -> ProviderProfileEdit:
    edit = ProviderProfileEdit.objects.select_related("provider").filter(pk=edit_id).first()
    if edit is None:
        raise ProfileEditNotFound()
    return edit


# --- Writes ------------------------------------------------------------------------------


@transaction.atomic
def profile_edit_propose(
    *, provider: Provider, user: User, changes: dict[str, Any]
) -> ProviderProfileEdit:
    """A manager of `provider` proposes `changes` to its profile; it waits for moderation and
    supersedes the proposal waiting, if any. Raises EmailNotVerified, NotProviderManager,
    ProfileInvalid."""
    if not user_email_verified(user):
        raise EmailNotVerified()
    if not membership_is_manager(user_id=user.pk, provider_id=provider.pk):
        raise NotProviderManager()
    profile_changes_check(changes)
    # The provider row orders proposals: two managers proposing at once take turns.
    Provider.objects.select_for_update().filter(pk=provider.pk).first()
    provider.profile_edits.filter(state=ProviderProfileEdit.State.PENDING).update(
        state=ProviderProfileEdit.State.SUPERSEDED
    )
    # The constraint (one pending per provider) holds under the lock; it is the last line.
    return ProviderProfileEdit.objects.create(provider=provider, submitted_by=user, changes=changes)


def _decided(edit: ProviderProfileEdit, moderator: User) -> ProviderProfileEdit:
    if not moderation_access_get(moderator).allowed:
        raise ModerationNotAllowed()
    edit = ProviderProfileEdit.objects.select_for_update().get(pk=edit.pk)
    if edit.submitted_by_id == moderator.pk:
        raise CannotModerateOwnProfileEdit()
    if edit.state != ProviderProfileEdit.State.PENDING:
        raise ProfileEditNotPending()
    return edit


@transaction.atomic
def profile_edit_accept(
    *, edit: ProviderProfileEdit, moderator: User, note: str = ""
) -> ProviderProfileEdit:
    """Apply the proposal to the public profile. Raises ModerationNotAllowed,
    CannotModerateOwnProfileEdit, ProfileEditNotPending."""
    edit = _decided(edit, moderator)
    provider = Provider.objects.select_for_update().get(pk=edit.provider_id)
    for name in PROFILE_FIELDS:
        if name in edit.changes:
            setattr(provider, name, edit.changes[name])
    provider.save()
    catalog_documents_invalidate()  # the provider shows on every page of its models
    edit.state = ProviderProfileEdit.State.ACCEPTED
    edit.decided_by, edit.decided_at, edit.note = moderator, timezone.now(), note
    edit.save()
    return edit


@transaction.atomic
def profile_edit_reject(
    *, edit: ProviderProfileEdit, moderator: User, note: str = ""
) -> ProviderProfileEdit:
    """Refuse the proposal (the profile stays). Same errors as `profile_edit_accept`."""
    edit = _decided(edit, moderator)
    edit.state = ProviderProfileEdit.State.REJECTED
    edit.decided_by, edit.decided_at, edit.note = moderator, timezone.now(), note
    edit.save()
    return edit
