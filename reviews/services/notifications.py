"""Telling authors what moderation decided: a consumer of the outbox (events app)."""

import smtplib

from django.conf import settings
from django.template.loader import render_to_string

from accounts.mail import mail_error_permanent
from accounts.services import mail_send
from events.exceptions import PermanentDeliveryError
from events.models import Event
from reviews.models import ModerationEvent, ReplyStatus, ReportReason, ReviewReply


def _message(event: ModerationEvent) -> tuple[str, str]:
    review = event.review
    context = {
        "review": review,
        "event": event,
        "outcome": event.get_action_display(),
        "reason": ReportReason(event.reason).label if event.reason else "",
        "my_reviews_url": f"{settings.FRONTEND_URL}/me/reviews",
    }
    subject = render_to_string("reviews/email/review_outcome_subject.txt", context)
    body = render_to_string("reviews/email/review_outcome_message.txt", context)
    return settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()), body


def review_outcome_notify(*, event_id: int) -> bool:
    """Mail the review's author the outcome of moderation event `event_id` (the action,
    reason and note; never the moderator's name), synchronously: returns True once the mail
    server accepted it. Returns False, sending nothing, when the event is gone or the author
    has no address (an erased account). Raises what the mail backend raises."""
    event = (
        ModerationEvent.objects.select_related("review__author", "review__model")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return False
    author = event.review.author
    if not author.email or author.erased_at is not None:
        return False
    subject, body = _message(event)
    mail_send(
        subject=subject,
        body=body,
        html_body="",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipients=[author.email],
    )
    return True


def review_outcome_mail(event: Event) -> str | None:
    """Outbox consumer `review_outcome_mail` (registered in reviews.apps): the outcome mail
    of a moderation outcome event. Delivered means the mail server accepted it; network and
    4xx errors raise (the outbox retries), a 5xx reply is a permanent failure."""
    try:
        sent = review_outcome_notify(event_id=event.payload["moderation_event_id"])
    except (smtplib.SMTPException, OSError) as exc:
        if mail_error_permanent(exc):
            raise PermanentDeliveryError(str(exc)) from exc
        raise
    return None if sent else "nothing sent: no address (erased account) or event gone"


def reply_published_notify(*, reply_id: int) -> bool:
    """Mail the review's author that the provider's reply `reply_id` is public (the reply's
    text, never who at the provider wrote it). False, sending nothing, when the reply is no
    longer published or the author has no address. Raises what the mail backend raises."""
    reply = (
        ReviewReply.objects.select_related("provider", "review__author", "review__model")
        .filter(pk=reply_id, status=ReplyStatus.PUBLISHED)
        .first()
    )
    if reply is None:
        return False
    review = reply.review
    author = review.author
    if not author.email or author.erased_at is not None:
        return False
    context = {
        "reply": reply,
        "review": review,
        "my_reviews_url": f"{settings.FRONTEND_URL}/me/reviews",
    }
    subject = render_to_string("reviews/email/reply_published_subject.txt", context)
    body = render_to_string("reviews/email/reply_published_message.txt", context)
    mail_send(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        body=body,
        html_body="",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipients=[author.email],
    )
    return True


def reply_published_mail(event: Event) -> str | None:
    """Outbox consumer `reply_published_mail` (reviews.registrations): the review's author
    learns of the provider's published reply. Errors as for `review_outcome_mail`."""
    try:
        sent = reply_published_notify(reply_id=event.payload["reply_id"])
    except (smtplib.SMTPException, OSError) as exc:
        if mail_error_permanent(exc):
            raise PermanentDeliveryError(str(exc)) from exc
        raise
    return None if sent else "nothing sent: reply no longer published, or no address"
