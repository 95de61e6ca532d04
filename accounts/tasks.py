"""Mail is sent by the worker, never inside a request: a slow or broken mail server must not
fail or slow a signup."""

import logging
import smtplib

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from accounts import services
from config.tasks import PublishSafeTask

logger = logging.getLogger(__name__)


def _transient(exc: Exception) -> bool:
    """Worth retrying: network trouble or a 4xx SMTP reply. A 5xx reply is final."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    # SMTPServerDisconnected and every socket error (refused, reset, timeout, DNS).
    return isinstance(exc, OSError)


@shared_task(
    base=PublishSafeTask,
    bind=True,
    acks_late=True,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
)
def mail_send_task(
    self: PublishSafeTask,
    subject: str,
    body: str,
    html_body: str,
    from_email: str,
    recipients: list[str],
) -> None:
    """Send one rendered message (primitive arguments: the message is built in the request).

    Retries network and 4xx SMTP failures with exponential backoff (30 s doubling to 10 min,
    jittered; 8 tries, about 40 minutes); a 5xx reply fails at once. Not idempotent: a
    worker lost after the SMTP handoff but before the ack sends the message twice, which
    for these messages is better than not at all.
    """
    try:
        services.mail_send(
            subject=subject,
            body=body,
            html_body=html_body,
            from_email=from_email,
            recipients=recipients,
        )
    except (smtplib.SMTPException, OSError) as exc:
        if not _transient(exc):
            raise
        countdown = get_exponential_backoff_interval(
            factor=30, retries=self.request.retries, maximum=600, full_jitter=True
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
