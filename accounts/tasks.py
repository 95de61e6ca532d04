"""Mail is sent by the worker, never inside a request: a slow or broken mail server must not
fail or slow a signup."""

import functools
import logging
import smtplib
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from celery.utils.time import get_exponential_backoff_interval
from django.db import transaction
from kombu.exceptions import OperationalError

from accounts import services

logger = logging.getLogger(__name__)


class PublishSafeTask(DjangoTask):
    """`delay_on_commit` that logs, instead of raising, when the broker cannot take the message.

    The publish happens in an on-commit callback after the response is decided; a broker
    outage (bounded by the broker's socket timeouts and the publish retry policy) must
    not turn a committed signup into a 500. What is lost is a mail the person can ask for
    again (allauth resends verification mail when they log in, after its cooldown).
    """

    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        transaction.on_commit(functools.partial(self.apply_async_or_log, args, kwargs))

    def apply_async_or_log(
        self, args: tuple = (), kwargs: dict | None = None, **options: Any
    ) -> bool:
        """`apply_async` that logs instead of raising; False when the message was not taken."""
        try:
            self.apply_async(args, kwargs, **options)
        except OperationalError:
            logger.exception("could not publish %s; the broker is unreachable", self.name)
            return False
        except Exception:
            # Any other refusal (a full Redis answering OOM, an encoding bug) must not turn a
            # committed request into a 500 either; the traceback in the log says which.
            logger.exception("could not publish %s", self.name)
            return False
        return True


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
