"""Telling authors what moderation decided."""

from django.conf import settings
from django.template.loader import render_to_string

from accounts.tasks import mail_send_task
from reviews.models import ModerationEvent, ReportReason


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
    """Mail the review's author the outcome of one moderation event (the action, reason and
    note; never the moderator's name). Hands the rendered message to the mail task after
    commit. Returns False, sending nothing, when the event is gone or the author has no
    address (an erased account)."""
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
    mail_send_task.delay_on_commit(
        subject=subject,
        body=body,
        html_body="",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipients=[author.email],
    )
    return True
