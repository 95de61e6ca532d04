"""Telling a subscription's owner it was disabled: a consumer of the outbox (events app)."""

from django.conf import settings

from accounts.services import mail_send
from events.models import Event
from webhooks.models import WebhookSubscription


def webhook_disabled_mail(event: Event) -> str | None:
    """Outbox consumer `webhook_disabled_mail`: mail the owner of the subscription that a
    `webhook.disabled` event names. Mail errors raise (the outbox retries)."""
    subscription = (
        WebhookSubscription.objects.select_related("owner")
        .filter(pk=event.payload["subscription_id"])
        .first()
    )
    if subscription is None or not subscription.owner.email:
        return "nothing sent: subscription gone or owner without address"
    body = (
        f"Your webhook endpoint {subscription.url} kept failing and was disabled.\n\n"
        f"Last error: {event.payload.get('reason', '')}\n\n"
        "Fix the endpoint, enable the subscription again "
        "(POST /api/v1/webhooks/subscriptions/<id>/enable/) and redeliver what it missed.\n"
    )
    mail_send(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + "Webhook endpoint disabled",
        body=body,
        html_body="",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipients=[subscription.owner.email],
    )
    return None
