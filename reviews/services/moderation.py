"""What moderators do: verify, reject, hide, restore, and mark usage as verified.

Every action is checked against the moderation permission and the author (moderators never
moderate their own reviews) and writes an audit event with actor, states, reason and note,
with its domain event in the outbox, whose delivery mails the author (events app). Actions on
open reports: verify and restore dismiss them, hide and rejecting a pending review uphold
them.

Retries are safe: an action whose outcome is already the review's state (a verify repeated
after its answer was lost, naming the same revision) returns the review unchanged, with no
second audit event, outbox event or stale mark. Only a different outcome is an invalid
transition.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import moderation_access_get
from reviews.exceptions import (
    CannotModerateOwnReview,
    InputInvalid,
    InvalidTransition,
    ModerationNotAllowed,
    RevisionChanged,
)
from reviews.models import (
    ModerationAction,
    ReplyStatus,
    Report,
    ReportReason,
    Review,
    ReviewRevision,
    ReviewStatus,
)
from reviews.ratings import rating_mark_stale
from reviews.services.content import draft_apply, draft_of
from reviews.services.workflow import (
    conflict_of_interest,
    event_record,
    pending_revision,
    queue_settle,
    reports_resolve,
    review_lock,
)


def _moderated(review: Review, moderator: User) -> Review:
    """The locked review, once `moderator` may act on it."""
    if not moderation_access_get(moderator).allowed:
        raise ModerationNotAllowed()
    review = review_lock(review)
    if review.author_id == moderator.pk:
        raise CannotModerateOwnReview()
    return review


def _reason_check(reason: str) -> None:
    if reason not in ReportReason.values:
        raise InputInvalid("reason", f"Must be one of {ReportReason.values}.")


def _waiting_revision(review: Review, seen: int | None) -> ReviewRevision | None:
    """The revision up for decision; if the moderator names the one they read (`seen`), it
    must still be that one, so nobody publishes a text they never saw."""
    revision = pending_revision(review)
    if seen is not None and (revision is None or revision.number != seen):
        raise RevisionChanged()
    return revision


def _revision_close(revision: ReviewRevision | None, state: ReviewRevision.State) -> int | None:
    if revision is None:
        return None
    revision.state = state
    revision.save(update_fields=["state"])
    return revision.number


def _last_revision_in(review: Review, state: ReviewRevision.State) -> int | None:
    return (
        review.revisions.filter(state=state)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )


def _already(review: Review, state: ReviewRevision.State, seen: int | None) -> bool:
    """The action's outcome is the review's state already: nothing waits for a decision and,
    if the moderator names a revision, it is the last one decided that way. A named revision
    decided otherwise (or superseded) is RevisionChanged, as for any stale queue item."""
    if review.has_pending_edit or review.flagged_at is not None:
        return False
    if seen is not None and _last_revision_in(review, state) != seen:
        raise RevisionChanged()
    return True


def _accept(review: Review, revision: ReviewRevision | None) -> None:
    """Publish a pending review, or apply the edit waiting on a published one."""
    if review.status == ReviewStatus.PENDING:
        review.status = ReviewStatus.PUBLISHED
        review.published_at = timezone.now()
    elif revision is not None:
        draft_apply(review, draft_of(revision))
        # The affiliation may have changed since the review was first published.
        review.conflict_of_interest = conflict_of_interest(review.author, review.model)
        # The public text changes after the provider answered it in public.
        if review.replies.filter(status=ReplyStatus.PUBLISHED).exists():
            review.updated_after_reply = True
    review.has_pending_edit = False


@transaction.atomic
def review_verify(
    *,
    review: Review,
    moderator: User,
    usage_verified: bool = False,
    note: str = "",
    revision: int | None = None,
) -> Review:
    """Publish a pending review, or apply the edit waiting on a published one, or keep a
    reported published review; `revision`, if given, must be the revision waiting.
    Dismisses open reports (upholds them when the author's new text answered them); marks
    the rating stale. Raises ModerationNotAllowed, CannotModerateOwnReview,
    InvalidTransition, RevisionChanged."""
    review = _moderated(review, moderator)
    before = review.status
    if before == ReviewStatus.PUBLISHED and _already(
        review, ReviewRevision.State.ACCEPTED, revision
    ):
        return review  # verified already (a retry): same answer, nothing recorded twice
    waiting = review.has_pending_edit or review.flagged_at is not None
    if not (before == ReviewStatus.PENDING or (before == ReviewStatus.PUBLISHED and waiting)):
        raise InvalidTransition(f"A {before} review with nothing waiting cannot be verified.")
    waiting_revision = _waiting_revision(review, revision)
    _accept(review, waiting_revision)
    number = _revision_close(waiting_revision, ReviewRevision.State.ACCEPTED)
    review.usage_verified = review.usage_verified or usage_verified
    # Reports still open on a pending review are those of a reported review its author then
    # rewrote: the reporters were right, so they are not held against them.
    answered = before == ReviewStatus.PENDING
    reports_resolve(review, Report.State.UPHELD if answered else Report.State.DISMISSED)
    queue_settle(review)
    # The review's new state and its last outcome (event_record) in one UPDATE.
    event_record(
        review, actor_id=moderator.pk, action=ModerationAction.VERIFY, from_status=before,
        note=note, revision_number=number, save=False,
    )  # fmt: skip
    review.save()
    rating_mark_stale(review.model_id, authors=[review.author_id])
    return review


@transaction.atomic
def review_reject(
    *, review: Review, moderator: User, reason: str, note: str = "", revision: int | None = None
) -> Review:
    """Reject a pending review (new or appeal; open reports upheld), or only the edit waiting
    on a published review (the published text stays; its reports stay open for a decision);
    `revision`, if given, must be the revision waiting. Raises InputInvalid (reason),
    ModerationNotAllowed, CannotModerateOwnReview, InvalidTransition, RevisionChanged."""
    _reason_check(reason)
    review = _moderated(review, moderator)
    before = review.status
    if before == ReviewStatus.REJECTED and _already(
        review, ReviewRevision.State.REJECTED, revision
    ):
        return review  # rejected already (a retry)
    if (
        before == ReviewStatus.PUBLISHED
        and revision is not None
        and not review.has_pending_edit
        and _last_revision_in(review, ReviewRevision.State.REJECTED) == revision
    ):
        return review  # this edit was rejected already (a retry)
    waiting_revision = _waiting_revision(review, revision)
    if before == ReviewStatus.PENDING:
        review.status = ReviewStatus.REJECTED
        reports_resolve(review, Report.State.UPHELD)
    elif before == ReviewStatus.PUBLISHED and review.has_pending_edit:
        review.has_pending_edit = False
    else:
        raise InvalidTransition(f"A {before} review with no edit waiting cannot be rejected.")
    number = _revision_close(waiting_revision, ReviewRevision.State.REJECTED)
    queue_settle(review)
    review.save()
    event_record(
        review, actor_id=moderator.pk, action=ModerationAction.REJECT, from_status=before,
        reason=reason, note=note, revision_number=number,
    )  # fmt: skip
    return review


@transaction.atomic
def review_hide(*, review: Review, moderator: User, reason: str, note: str = "") -> Review:
    """Hide a published review, or confirm the automatic hiding of a reported one. Upholds
    open reports; marks the rating stale (a review hidden by reports counted until now).
    Raises InputInvalid (reason), ModerationNotAllowed, CannotModerateOwnReview,
    InvalidTransition."""
    _reason_check(reason)
    review = _moderated(review, moderator)
    before = review.status
    auto_hidden = before == ReviewStatus.HIDDEN and review.flagged_at is not None
    if before == ReviewStatus.HIDDEN and not auto_hidden:
        return review  # hidden already (a retry)
    if before != ReviewStatus.PUBLISHED and not auto_hidden:
        raise InvalidTransition(f"A {before} review cannot be hidden.")
    review.status = ReviewStatus.HIDDEN
    reports_resolve(review, Report.State.UPHELD)
    queue_settle(review)
    review.save()
    event_record(
        review, actor_id=moderator.pk, action=ModerationAction.HIDE, from_status=before,
        reason=reason, note=note,
    )  # fmt: skip
    rating_mark_stale(review.model_id, authors=[review.author_id])
    return review


@transaction.atomic
def review_restore(*, review: Review, moderator: User, note: str = "") -> Review:
    """Publish a hidden review again. Dismisses open reports; marks the rating stale.
    Raises ModerationNotAllowed, CannotModerateOwnReview, InvalidTransition."""
    review = _moderated(review, moderator)
    before = review.status
    if before == ReviewStatus.PUBLISHED and review.flagged_at is None:
        return review  # public already (a retry)
    if before != ReviewStatus.HIDDEN:
        raise InvalidTransition(f"A {before} review cannot be restored.")
    review.status = ReviewStatus.PUBLISHED
    review.published_at = review.published_at or timezone.now()
    reports_resolve(review, Report.State.DISMISSED)
    queue_settle(review)
    review.save()
    event_record(
        review, actor_id=moderator.pk, action=ModerationAction.RESTORE, from_status=before,
        note=note,
    )  # fmt: skip
    rating_mark_stale(review.model_id, authors=[review.author_id])
    return review


@transaction.atomic
def review_mark_usage_verified(*, review: Review, moderator: User, note: str = "") -> Review:
    """Show the usage-verified badge (the moderator saw evidence of use). Marks the rating
    stale when the review is published (issue 5 may weigh verified usage).
    Raises ModerationNotAllowed, CannotModerateOwnReview, InvalidTransition."""
    review = _moderated(review, moderator)
    if review.status == ReviewStatus.WITHDRAWN:
        raise InvalidTransition("The review is withdrawn.")
    if review.usage_verified:
        return review  # verified already (a retry)
    review.usage_verified = True
    review.save()
    event_record(
        review, actor_id=moderator.pk, action=ModerationAction.VERIFY_USAGE,
        from_status=review.status, note=note,
    )  # fmt: skip
    if review.status == ReviewStatus.PUBLISHED:
        rating_mark_stale(review.model_id, authors=[review.author_id])
    return review
