"""What authors do: write, edit (or appeal) and withdraw reviews; erasure withdraws them all."""

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.exceptions import EmailNotVerified
from accounts.models import User
from accounts.selectors import user_email_verified
from models_catalog.models import AIModel
from reviews.exceptions import (
    InvalidTransition,
    NotReviewAuthor,
    ReviewAlreadyExists,
)
from reviews.integrity import scan, surges
from reviews.models import ModerationAction, Report, Review, ReviewRevision, ReviewStatus
from reviews.ratings import rating_mark_stale
from reviews.services.content import (
    ReviewDraft,
    draft_apply,
    draft_changed,
    draft_check,
    draft_of,
    draft_with_version,
    revision_add,
)
from reviews.services.workflow import (
    conflict_of_interest,
    event_record,
    pending_revision,
    queue_enter,
    reports_resolve,
    review_lock,
    revision_next_number,
)


def author_check(user: User) -> None:
    """Every write of a review, vote or report needs a verified email address."""
    if not user_email_verified(user):
        raise EmailNotVerified()


def _active_review_id(author: User, model: AIModel) -> uuid.UUID | None:
    """The public id of the person's active review of `model` (the 409 names it), if any."""
    return (
        Review.objects.filter(author=author, model=model)
        .exclude(status=ReviewStatus.WITHDRAWN)
        .values_list("public_id", flat=True)
        .first()
    )


def _review_insert(author: User, model: AIModel, draft: ReviewDraft) -> Review:
    review = Review(
        author=author,
        model=model,
        conflict_of_interest=conflict_of_interest(author, model),
        queued_at=timezone.now(),
    )
    draft_apply(review, draft)
    surges.surge_hold(review)
    scan.integrity_scan_request(review)
    try:
        # A savepoint around the INSERT: two first reviews racing past the check below both
        # get here; PostgreSQL makes the second INSERT wait on the partial unique index until
        # the first commits, then fail. That failure is the same 409 as the check.
        with transaction.atomic():
            review.save()
    except IntegrityError:
        existing = _active_review_id(author, model)
        if existing is None:
            raise
        raise ReviewAlreadyExists(existing) from None
    return review


@transaction.atomic
def review_create(*, author: User, model: AIModel, draft: ReviewDraft) -> Review:
    """Write the author's review of `model`: `pending`, revision 1, a `submit` event.

    The version defaults to the model's canonical one; an affiliation with the provider sets
    `conflict_of_interest`. Integrity: the review joins the model's open surge (held out of
    the rating) and may open one; its near-duplicate and ring scan (flags only) is marked
    due and runs after commit.
    Raises EmailNotVerified, ModelVersionUnknown, InputInvalid and ReviewAlreadyExists (also
    when a concurrent first review won the race).
    """
    author_check(author)
    draft = draft_with_version(draft, model)
    draft_check(draft)
    existing = _active_review_id(author, model)
    if existing is not None:
        raise ReviewAlreadyExists(existing)
    review = _review_insert(author, model, draft)
    revision_add(review, draft, number=1)
    event_record(
        review, actor_id=author.pk, action=ModerationAction.SUBMIT, from_status="",
        revision_number=1,
    )  # fmt: skip
    if review.surge_id is None:  # else it joined the open surge (surge_hold)
        surges.surge_detect(model.pk, none_open=True)
    return review


def _edit_draft(review: Review, pending: ReviewRevision | None, changes: dict) -> ReviewDraft:
    # An edit builds on the newest text: the edit still waiting, else the review itself.
    draft = draft_changed(draft_of(pending or review), changes)
    if "model_version" in changes:
        draft = draft_with_version(draft, review.model)
    draft_check(draft)
    return draft


@transaction.atomic
def review_update(*, review: Review, author: User, changes: dict[str, Any]) -> Review:
    """Edit a review (`changes`: content fields to replace). Every edit is a new revision.

    Pending, rejected or hidden: the text is replaced and the review waits for moderation
    again (a rejected or hidden review edited is an appeal). Published: the published text
    stays public and the edit waits as a pending revision (`has_pending_edit`). Raises
    NotReviewAuthor, InvalidTransition (withdrawn), InputInvalid, ModelVersionUnknown.
    """
    review = review_lock(review)
    if review.author_id != author.pk:
        raise NotReviewAuthor()
    author_check(author)
    before = review.status
    if before == ReviewStatus.WITHDRAWN:
        raise InvalidTransition("A withdrawn review cannot be edited; write a new one.")
    pending = pending_revision(review)
    draft = _edit_draft(review, pending, changes)
    if pending is not None:
        pending.state = ReviewRevision.State.SUPERSEDED
        pending.save(update_fields=["state"])
    revision = revision_add(review, draft, number=revision_next_number(review))
    if before == ReviewStatus.PUBLISHED:
        # The published text, and whether it counts toward the rating, stay as they are
        # until a moderator accepts the edit (`_accept` re-checks the affiliation then).
        review.has_pending_edit = True
    else:
        draft_apply(review, draft)
        review.conflict_of_interest = conflict_of_interest(author, review.model)
        review.status = ReviewStatus.PENDING
        # The new text replaces any edit that was waiting (e.g. on a review hidden since).
        review.has_pending_edit = False
        # A new text up for moderation (an appeal): scanned like a new review, after commit.
        scan.integrity_scan_request(review)
    queue_enter(review)
    review.save()
    event_record(
        review, actor_id=author.pk, action=ModerationAction.EDIT, from_status=before,
        revision_number=revision.number,
    )  # fmt: skip
    return review


def _withdraw(review: Review, *, actor_id: int, note: str = "") -> bool:
    """Withdraw the locked review; True if it was published (its model's rating is stale).
    The caller marks the rating stale, so several withdrawals can do it in model order."""
    before = review.status
    review.status = ReviewStatus.WITHDRAWN
    review.has_pending_edit = False
    review.queued_at = review.flagged_at = None
    review.save()
    # Withdrawal ends the wait: nothing of this review is up for moderation any more.
    review.revisions.filter(state=ReviewRevision.State.PENDING).update(
        state=ReviewRevision.State.SUPERSEDED
    )
    # Open reports are moot once the review is gone; closing them as dismissed would count
    # against the reporters, so they are closed as upheld.
    reports_resolve(review, Report.State.UPHELD)
    event_record(
        review, actor_id=actor_id, action=ModerationAction.WITHDRAW, from_status=before, note=note
    )
    return before == ReviewStatus.PUBLISHED


@transaction.atomic
def review_withdraw(*, review: Review, author: User) -> Review:
    """The author withdraws the review (a soft delete: the row, revisions and audit log stay).
    Marks the rating stale if it was published. Raises NotReviewAuthor, InvalidTransition."""
    review = review_lock(review)
    if review.author_id != author.pk:
        raise NotReviewAuthor()
    if review.status == ReviewStatus.WITHDRAWN:
        raise InvalidTransition("The review is already withdrawn.")
    if _withdraw(review, actor_id=author.pk):
        rating_mark_stale(review.model_id, authors=[review.author_id])
    return review


@transaction.atomic
def review_withdraw_all_for_author(*, author_id: int) -> int:
    """Withdraw every active review of the person (account erasure); each published one marks
    its model's rating stale. Returns how many were withdrawn."""
    # Reviews are locked in id order and rating marks taken in model order, so two erasures
    # (or an erasure and a moderator) never wait on each other in a cycle.
    reviews = list(
        Review.objects.select_for_update()
        .filter(author_id=author_id)
        .exclude(status=ReviewStatus.WITHDRAWN)
        .order_by("pk")
    )
    stale_models = {
        review.model_id
        for review in reviews
        if _withdraw(review, actor_id=author_id, note="The author's account was erased.")
    }
    for model_id in sorted(stale_models):
        rating_mark_stale(model_id)
    return len(reviews)


# What an author wrote: erased with the account, in the review and in every revision.
AUTHOR_TEXT_FIELDS = ("title", "body", "pros", "cons")


@transaction.atomic
def review_erase_for_author(*, author_id: int) -> int:
    """Account erasure: withdraw the person's active reviews (ratings marked stale, audit
    events kept) and blank the text they wrote (title, body, pros, cons) in every review and
    revision, whatever its state. Stars, dates and the audit trail stay. Returns how many
    reviews were blanked."""
    # Every review of the person is locked first, in id order (the order all writers use):
    # the bulk updates below then touch only rows this transaction holds, and revisions,
    # which every writer changes only under their review's lock.
    locked = list(Review.objects.select_for_update().filter(author_id=author_id).order_by("pk"))
    review_withdraw_all_for_author(author_id=author_id)
    blank = dict.fromkeys(AUTHOR_TEXT_FIELDS, "")
    Review.objects.filter(author_id=author_id).update(**blank, updated_at=timezone.now())
    ReviewRevision.objects.filter(review__author_id=author_id).update(**blank)
    return len(locked)
