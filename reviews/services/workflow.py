"""Steps every review workflow shares: the row lock, the audit event, the queue, reports.

Lock order: a writer locks the review row first (`review_lock`) and only then touches its
revisions, votes and reports, so two writers of one review never deadlock and each sees the
other's committed result.
"""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from events.services import outbox_record
from models_catalog.memberships import membership_get
from models_catalog.models import AIModel
from reviews.models import (
    ModerationAction,
    ModerationEvent,
    Report,
    Review,
    ReviewRevision,
)
from reviews.selectors import review_waiting_for

# Outcomes the author is told about by mail and sees on /me/reviews/.
OUTCOME_ACTIONS = frozenset(
    {
        ModerationAction.VERIFY,
        ModerationAction.REJECT,
        ModerationAction.HIDE,
        ModerationAction.RESTORE,
        ModerationAction.AUTO_HIDE,
        ModerationAction.VERIFY_USAGE,
    }
)
# The domain event (outbox, events app) each audit action records.
REVIEW_EVENT_TYPES = {
    ModerationAction.SUBMIT: "review.submitted",
    ModerationAction.EDIT: "review.edited",
    ModerationAction.VERIFY: "review.published",
    ModerationAction.REJECT: "review.rejected",
    ModerationAction.HIDE: "review.hidden",
    ModerationAction.AUTO_HIDE: "review.hidden",
    ModerationAction.RESTORE: "review.restored",
    ModerationAction.REQUEUE: "review.requeued",
    ModerationAction.WITHDRAW: "review.withdrawn",
    ModerationAction.VERIFY_USAGE: "review.usage_verified",
}
OUTCOME_EVENT_TYPES = frozenset(REVIEW_EVENT_TYPES[action] for action in OUTCOME_ACTIONS)
_OUTCOME_FIELDS = [
    "last_moderation_action",
    "last_moderation_reason",
    "last_moderation_note",
    "last_moderated_at",
]


def conflict_of_interest(author: User, model: AIModel) -> bool:
    """A tie with the model's provider: a verified membership (staff or the domain rule) or
    a disclosed affiliation. Such a review is shown, never counted in the rating."""
    if author.affiliation and author.affiliation == model.provider.slug:
        return True
    return membership_get(user_id=author.pk, provider_id=model.provider_id) is not None


def review_lock(review: Review) -> Review:
    """A fresh copy of `review`, its row locked until the transaction ends (PostgreSQL).

    Every service that changes a review, its votes or its reports goes through here first;
    the state checks that follow read the locked row, never a stale instance.
    """
    return Review.objects.select_for_update().get(pk=review.pk)


def pending_revision(review: Review) -> ReviewRevision | None:
    """The revision waiting for moderation (a constraint allows at most one)."""
    return review.revisions.filter(state=ReviewRevision.State.PENDING).first()


def revision_next_number(review: Review) -> int:
    last = review.revisions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def event_record(
    review: Review,
    *,
    actor_id: int | None,
    action: ModerationAction,
    from_status: str,
    reason: str = "",
    note: str = "",
    revision_number: int | None = None,
    save: bool = True,
) -> ModerationEvent:
    """Append one audit event for the review's current (saved) status, and its domain event
    to the outbox (`REVIEW_EVENT_TYPES`) in the same transaction; for an outcome, also keep it
    on the review (for the author's list). The author's outcome mail is a delivery of that
    domain event (consumer `review_outcome_mail`, registered in reviews.apps). With `save`
    False the caller saves the review after, in the same transaction (one UPDATE, not two)."""
    event = ModerationEvent.objects.create(
        review=review,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=review.status,
        reason=reason,
        note=note,
        revision_number=revision_number,
    )
    if action in OUTCOME_ACTIONS:
        review.last_moderation_action = action
        review.last_moderation_reason = reason
        review.last_moderation_note = note
        review.last_moderated_at = event.created_at
        if save:
            review.save(update_fields=[*_OUTCOME_FIELDS, "updated_at"])
    outbox_record(
        REVIEW_EVENT_TYPES[action],
        {
            "review_id": review.pk, "model_id": review.model_id, "author_id": review.author_id,
            "moderation_event_id": event.pk, "action": action, "status": review.status,
        },
    )  # fmt: skip
    return event


def queue_enter(review: Review, now: dt.datetime | None = None) -> None:
    # Keep the earliest time: "oldest first" means whoever has waited longest.
    review.queued_at = review.queued_at or now or timezone.now()


def queue_settle(review: Review) -> None:
    """After a moderator decision: the review stays queued only for what still waits (a new
    text, an edit of a published review, or reports nobody has decided on)."""
    if {"review", "edit"} & set(review_waiting_for(review)):
        queue_enter(review)
    else:
        review.queued_at = review.flagged_at


def open_reports(review: Review) -> QuerySet[Report]:
    return Report.objects.filter(review=review, state=Report.State.OPEN)


def reports_resolve(review: Review, state: Report.State) -> int:
    """Close the review's open reports as upheld or dismissed; the reports no longer keep it
    in the queue. Returns how many were closed."""
    review.flagged_at = None
    return open_reports(review).update(state=state, resolved_at=timezone.now())
