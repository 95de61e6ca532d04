"""allauth's mail (verification, password reset, "account already exists", security notices)
through the outbox (events app), the way every other mail of the project leaves.

    AccountAdapter.send_mail (in the request) ──render──> mail_queue: an `account.mail` Event
        holding the rendered message, and its Delivery row, in the request's transaction
        (config.middleware.AllauthAtomicMiddleware makes allauth's flows one transaction)
    after commit ──> events.tasks.delivery_task (queue `mail`) ──> account_mail: SMTP
    SMTP down ──> the outbox retries with backoff; a lost publish or a dead worker ──> the sweep

The message is rendered in the request (allauth's context: the key, the link, the user) and
stored as sent: every attempt sends the same subject and bodies, and a key stays valid
because allauth already stored or signed it when it rendered the mail.
"""

import smtplib
from typing import Any

from accounts.services import mail_send
from events.exceptions import PermanentDeliveryError
from events.models import Event
from events.services import outbox_record

MAIL_EVENT = "account.mail"
MAIL_CONSUMER = "account_mail"
# Payload keys that hold the message itself (keys and links): the admin never shows them.
BODY_KEYS = ("body", "html_body")


def mail_queue(
    *,
    subject: str,
    body: str,
    html_body: str,
    from_email: str,
    recipients: list[str],
    template_prefix: str = "",
) -> Event:
    """Record one rendered message in the outbox, in the caller's transaction: it is sent
    (by the worker, after commit) if and only if the caller's writes commit."""
    return outbox_record(
        MAIL_EVENT,
        {
            "template_prefix": template_prefix,
            "subject": subject,
            "body": body,
            "html_body": html_body,
            "from_email": from_email,
            "recipients": list(recipients),
        },
    )


def mail_error_permanent(exc: Exception) -> bool:
    """A 5xx SMTP reply (for every recipient): the server refused for good, a retry cannot
    help. Network errors and 4xx replies are worth retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def account_mail(event: Event) -> str | None:
    """Outbox consumer `account_mail` (registered in accounts.apps): send the message the
    event holds. Delivered means the mail server accepted it; network and 4xx errors raise
    (the outbox retries), a 5xx reply is a permanent failure."""
    message: dict[str, Any] = event.payload
    try:
        mail_send(
            subject=message["subject"],
            body=message["body"],
            html_body=message["html_body"],
            from_email=message["from_email"],
            recipients=message["recipients"],
        )
    except (smtplib.SMTPException, OSError) as exc:
        if mail_error_permanent(exc):
            raise PermanentDeliveryError(str(exc)) from exc
        raise
    return None
