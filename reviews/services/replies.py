"""Provider replies: a member of the model's provider answers a published review in public.

One reply per review and provider (a partial unique constraint; a deleted reply frees the
place). Every text, the first and each edit, waits for a moderator (the reply queue) and is
kept as a revision. Publication records `reply.published` in the outbox; its consumer mails
the review's author. Lock order: the review row first (`review_lock`), then the reply.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import moderation_access_get
from events.services import outbox_record
from models_catalog.memberships import membership_get
from models_catalog.models import MembershipRole
from models_catalog.services import model_documents_invalidate
from reviews.exceptions import (
    CannotModerateOwnReply,
    InputInvalid,
    InvalidTransition,
    ModerationNotAllowed,
    NotProviderMember,
    NotReplyAuthor,
    ReplyAlreadyExists,
    ReplyNotPending,
    ReviewNotPublished,
)
from reviews.models import ReplyStatus, Review, ReviewReply, ReviewReplyRevision, ReviewStatus
from reviews.services.authoring import author_check
from reviews.services.content import BODY_MAX, BODY_MIN
from reviews.services.workflow import review_lock


def reply_body_check(body: str) -> None:
    """The same rule as a review's body: plain text, BODY_MIN to BODY_MAX characters."""
    if len(body.strip()) < BODY_MIN or len(body) > BODY_MAX:
        raise InputInvalid("body", f"Must be {BODY_MIN} to {BODY_MAX} characters.")


def _event(event_type: str, reply: ReviewReply, review: Review) -> None:
    # Every change of a reply is a change of the review's pre-rendered pages (the reply shows
    # under it once published; a deleted or re-moderated one disappears).
    model_documents_invalidate([review.model_id])
    outbox_record(
        event_type,
        {
            "reply_id": reply.pk, "review_id": review.pk, "review_author_id": review.author_id,
            "provider_id": reply.provider_id, "status": reply.status,
        },
    )  # fmt: skip


def _revision_add(reply: ReviewReply) -> None:
    last = reply.revisions.order_by("-number").values_list("number", flat=True).first()
    ReviewReplyRevision.objects.create(reply=reply, number=(last or 0) + 1, body=reply.body)


def _active_reply(review: Review, provider_id: int) -> ReviewReply | None:
    return (
        ReviewReply.objects.select_for_update()
        .filter(review=review, provider_id=provider_id)
        .exclude(status=ReplyStatus.DELETED)
        .first()
    )


@transaction.atomic
def reply_create(*, review: Review, author: User, body: str) -> ReviewReply:
    """Reply to a published review of a model of a provider `author` is a member of; the
    reply waits for moderation. Raises EmailNotVerified, NotProviderMember,
    ReviewNotPublished, InputInvalid, ReplyAlreadyExists (also for a concurrent first reply)."""
    author_check(author)
    review = review_lock(review)
    provider_id = review.model.provider_id
    if membership_get(user_id=author.pk, provider_id=provider_id) is None:
        raise NotProviderMember()
    if review.status != ReviewStatus.PUBLISHED:
        raise ReviewNotPublished("Only a published review can be replied to.")
    reply_body_check(body)
    if _active_reply(review, provider_id) is not None:
        raise ReplyAlreadyExists()
    reply = ReviewReply(
        review=review, provider_id=provider_id, author=author, body=body, queued_at=timezone.now()
    )
    try:
        # The review lock already serialises replies to one review; the constraint is the
        # last line (e.g. a writer that did not lock), turned into the same 409.
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        raise ReplyAlreadyExists() from None
    _revision_add(reply)
    _event("reply.submitted", reply, review)
    return reply


def _may_change(reply: ReviewReply, user: User) -> None:
    """The reply's author while still a member, or any manager of the provider."""
    membership = membership_get(user_id=user.pk, provider_id=reply.provider_id)
    if membership is None:
        raise NotProviderMember()
    if reply.author_id != user.pk and membership.role != MembershipRole.MANAGER:
        raise NotReplyAuthor()


def _reply_lock(reply: ReviewReply) -> tuple[Review, ReviewReply]:
    review = review_lock(reply.review)
    return review, ReviewReply.objects.select_for_update().get(pk=reply.pk)


@transaction.atomic
def reply_update(*, reply: ReviewReply, user: User, body: str) -> ReviewReply:
    """Replace the reply's text (a new revision); it waits for moderation again and is not
    public meanwhile. Raises EmailNotVerified, NotProviderMember, NotReplyAuthor,
    InvalidTransition (deleted), InputInvalid."""
    author_check(user)
    review, reply = _reply_lock(reply)
    _may_change(reply, user)
    if reply.status == ReplyStatus.DELETED:
        raise InvalidTransition("A deleted reply cannot be edited; write a new one.")
    reply_body_check(body)
    reply.body = body
    reply.status = ReplyStatus.PENDING
    reply.published_at = None
    reply.queued_at = timezone.now()
    reply.save()
    _revision_add(reply)
    _event("reply.edited", reply, review)
    return reply


@transaction.atomic
def reply_delete(*, reply: ReviewReply, user: User) -> ReviewReply:
    """Delete the reply (soft: row and revisions stay; the provider may reply again).
    Raises NotProviderMember, NotReplyAuthor, InvalidTransition (already deleted)."""
    review, reply = _reply_lock(reply)
    _may_change(reply, user)
    if reply.status == ReplyStatus.DELETED:
        raise InvalidTransition("The reply is already deleted.")
    reply.status = ReplyStatus.DELETED
    reply.queued_at = None
    reply.save()
    _event("reply.deleted", reply, review)
    return reply


def _moderated(reply: ReviewReply, moderator: User) -> tuple[Review, ReviewReply]:
    if not moderation_access_get(moderator).allowed:
        raise ModerationNotAllowed()
    review, reply = _reply_lock(reply)
    if reply.author_id == moderator.pk:
        raise CannotModerateOwnReply()
    if reply.status != ReplyStatus.PENDING:
        raise ReplyNotPending()
    return review, reply


@transaction.atomic
def reply_publish(*, reply: ReviewReply, moderator: User, note: str = "") -> ReviewReply:
    """Publish a reply waiting for moderation; records `reply.published` (the review's
    author is mailed). Raises ModerationNotAllowed, CannotModerateOwnReply, ReplyNotPending."""
    review, reply = _moderated(reply, moderator)
    now = timezone.now()
    reply.status = ReplyStatus.PUBLISHED
    reply.published_at = now
    reply.first_published_at = reply.first_published_at or now
    reply.queued_at = None
    reply.moderation_note = note
    reply.save()
    _event("reply.published", reply, review)
    return reply


@transaction.atomic
def reply_reject(*, reply: ReviewReply, moderator: User, note: str = "") -> ReviewReply:
    """Reject a reply waiting for moderation (the provider may edit it to try again).
    Raises ModerationNotAllowed, CannotModerateOwnReply, ReplyNotPending."""
    review, reply = _moderated(reply, moderator)
    reply.status = ReplyStatus.REJECTED
    reply.queued_at = None
    reply.moderation_note = note
    reply.save()
    _event("reply.rejected", reply, review)
    return reply


@transaction.atomic
def reply_erase_for_author(*, author_id: int) -> int:
    """Account erasure: delete the person's replies and blank every text they wrote in them
    (replies and revisions). Returns how many replies were blanked."""
    replies = ReviewReply.objects.filter(author_id=author_id)
    count = replies.update(body="", status=ReplyStatus.DELETED, queued_at=None)
    ReviewReplyRevision.objects.filter(reply__author_id=author_id).update(body="")
    model_ids = Review.objects.filter(replies__author_id=author_id).values_list(
        "model_id", flat=True
    )
    model_documents_invalidate(set(model_ids))
    return count
