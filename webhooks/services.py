"""Webhook subscriptions and deliveries.

    outbox event (events app) ──consumer `webhooks`──> webhook_fanout: a WebhookDelivery row
        per matching active subscription, the body rendered once; after commit, each row is
        published to webhook_delivery_task
    webhook_delivery_attempt: claim (one conditional UPDATE), re-check the URL (SSRF), POST
        the signed body; 2xx is delivered; anything else is retried with exponential backoff
        and jitter (WEBHOOK_RETRY_* over WEBHOOK_MAX_ATTEMPTS: about a day), then failed for
        good, which disables the subscription and mails its owner (through the outbox)
    beat, every 30 s: webhook_sweep re-publishes due rows (lost messages, lapsed claims)
    beat, hourly: webhook_prune deletes finished rows past their retention (OUTBOX_RETENTION_*)

At least once: a worker lost between the POST and the UPDATE sends it again, with the same
`webhook-id` (the event id) for the receiver to deduplicate.
"""

import datetime as dt
import json
import logging
import random
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from config.enqueue import publish, publish_on_commit, task_name
from config.prune import delete_in_batches
from events.models import Event
from events.services import finished_before, outbox_record
from models_catalog.models import AIModel, Provider
from webhooks import net, signing
from webhooks.exceptions import WebhookSubscriptionDisabled, WebhookUrlRefused
from webhooks.models import WebhookDelivery, WebhookEventType, WebhookSubscription
from webhooks.payloads import Rendered, event_render

logger = logging.getLogger(__name__)
DELIVERY_TASK = task_name("webhooks.tasks.webhook_delivery_task")
DISABLED_EVENT = "webhook.disabled"
PING_EVENT = "webhook.ping"
SWEEP_BATCH = 500
OPEN = (WebhookDelivery.State.PENDING, WebhookDelivery.State.CLAIMED)


def url_validate(url: str) -> None:
    """Raise WebhookUrlRefused (on field `url`) unless `url` may be called (webhooks.net)."""
    try:
        net.url_check(url)
    except net.UnsafeUrl as exc:
        message = f"This endpoint URL may not be called: {exc}."
        raise WebhookUrlRefused(message, field="url") from exc


@transaction.atomic
def subscription_create(
    *,
    owner: User,
    url: str,
    event_types: Iterable[str],
    provider: Provider | None = None,
    models: Iterable[AIModel] = (),
    description: str = "",
) -> WebhookSubscription:
    """Register an endpoint of `owner` for `event_types` (WebhookEventType values), filtered
    to `provider` and `models` when given. The URL is checked (WebhookUrlRefused). A secret
    is generated; the caller shows it once."""
    url_validate(url)
    subscription = WebhookSubscription.objects.create(
        owner=owner, url=url, event_types=sorted(set(event_types)), filter_provider=provider,
        description=description, secret=signing.secret_generate(),
    )  # fmt: skip
    subscription.filter_models.set(list(models))
    return subscription


def subscription_enable(subscription: WebhookSubscription) -> WebhookSubscription:
    """Turn a disabled subscription on again (its URL checked again). Failed deliveries stay
    failed; the owner redelivers what they need."""
    url_validate(subscription.url)
    subscription.is_active, subscription.disabled_at, subscription.disabled_reason = True, None, ""
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    return subscription


@transaction.atomic
def subscription_disable(subscription_id: int, reason: str) -> bool:
    """Disable the subscription (if active) and tell its owner by mail, through the outbox
    (consumer `webhook_disabled_mail`). Returns whether this call disabled it."""
    changed = WebhookSubscription.objects.filter(pk=subscription_id, is_active=True).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason=reason[:200]
    )
    if changed:
        logger.warning("webhook subscription %s disabled: %s", subscription_id, reason)
        outbox_record(DISABLED_EVENT, {"subscription_id": subscription_id, "reason": reason})
    return bool(changed)


# --- Fan-out ------------------------------------------------------------------------------


def subscriptions_exist(event_type: str) -> bool:
    """Asked by the outbox when an event is recorded (one EXISTS query): without an active
    subscription no webhooks delivery is written. A subscription receives what happens after
    it was registered, so skipping here loses nothing it should get."""
    return WebhookSubscription.objects.filter(is_active=True).exists()


def _body(event: Event, kind: str, data: dict) -> str:
    envelope = {
        "id": f"evt_{event.pk}",
        "type": kind,
        "created_at": event.created_at.isoformat(),
        "data": data,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"))


def _matching(rendered: Rendered) -> list[WebhookSubscription]:
    # Subscriptions are few (integrators, not readers): filtering in Python keeps this
    # portable (SQLite under `make run` has no JSON containment) at no real cost.
    provider_id = None
    if rendered.model_id is not None:
        provider_id = (
            AIModel.objects.filter(pk=rendered.model_id).values_list("provider_id", flat=True)
        ).first()
    matching = []
    subscriptions = WebhookSubscription.objects.filter(is_active=True).prefetch_related(
        "filter_models"
    )
    for subscription in subscriptions:
        if rendered.type not in subscription.event_types:
            continue
        if subscription.filter_provider_id and subscription.filter_provider_id != provider_id:
            continue
        wanted = {m.pk for m in subscription.filter_models.all()}
        if wanted and rendered.model_id not in wanted:
            continue
        matching.append(subscription)
    return matching


def _publish_new(event: Event) -> None:
    fresh = WebhookDelivery.objects.filter(event=event, state=WebhookDelivery.State.PENDING)
    for delivery_id in fresh.filter(attempts=0).values_list("pk", flat=True):
        publish_on_commit(DELIVERY_TASK, (delivery_id,), retry=False)


@transaction.atomic
def webhook_fanout(event: Event) -> str:
    """Outbox consumer `webhooks` (registered in WebhooksConfig.ready): a delivery per
    active subscription that wants the event's public type and whose filter matches.
    Idempotent (one row per subscription and event): a retried fan-out adds only what is
    missing."""
    rendered = event_render(event)
    if rendered is None:
        return "not a public event"
    subscriptions = _matching(rendered)
    body = _body(event, rendered.type, rendered.data)
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=s, event=event, event_type=rendered.type, body=body,
                next_attempt_at=now,
            )
            for s in subscriptions
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    _publish_new(event)
    return f"{rendered.type} to {len(subscriptions)} subscription(s)"


@transaction.atomic
def webhook_ping(subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a `ping` event to `subscription` (to test the endpoint and the signature)."""
    if not subscription.is_active:
        raise WebhookSubscriptionDisabled()
    event = outbox_record(PING_EVENT, {"subscription_id": subscription.pk})
    data = {"subscription_id": subscription.pk, "message": "ping"}
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event=event, event_type=WebhookEventType.PING,
        body=_body(event, WebhookEventType.PING, data), next_attempt_at=event.created_at,
    )  # fmt: skip
    publish_on_commit(DELIVERY_TASK, (delivery.pk,), retry=False)
    return delivery


@transaction.atomic
def webhook_redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a finished delivery again: the same event id and body, a fresh retry schedule.
    An open one is left as it is (it is being sent)."""
    if not delivery.subscription.is_active:
        raise WebhookSubscriptionDisabled()
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk, state__in=["delivered", "failed"]).update(
        state=WebhookDelivery.State.PENDING, attempts=0, next_attempt_at=now, finished_at=None,
        claimed_at=None,
    )  # fmt: skip
    publish_on_commit(DELIVERY_TASK, (delivery.pk,), retry=False)
    delivery.refresh_from_db()
    return delivery


# --- Delivery -----------------------------------------------------------------------------


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: WEBHOOK_RETRY_BASE_SECONDS doubling, capped
    at WEBHOOK_RETRY_MAX_SECONDS, jittered between half and all of it. With the defaults
    (60 s, 6 h, 13 attempts) the last attempt comes 13-27 hours after the first."""
    ceiling = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS,
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


def _claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    """Take the delivery if due (pending, or a lapsed claim): one conditional UPDATE, so of
    two workers holding the same message one matches and the other nothing. Committed
    before the POST: no transaction is held across someone else's server."""
    lease = dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state__in=OPEN, next_attempt_at__lte=now
    ).update(
        state=WebhookDelivery.State.CLAIMED,
        claimed_at=now,
        next_attempt_at=now + lease,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def _finish(delivery: WebhookDelivery, **values: object) -> bool:
    # Only while our claim holds (the same attempt).
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery.pk, state=WebhookDelivery.State.CLAIMED, attempts=delivery.attempts
        ).update(**values)
    )


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    msg_id = f"evt_{delivery.event_id}"
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "aimodels-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature(
            delivery.subscription.secret, msg_id, timestamp, body
        ),
    }


def _send(delivery: WebhookDelivery) -> tuple[net.Answer | None, str]:
    """POST the delivery; the answer (None if there was none) and an error ("" on 2xx)."""
    try:
        target = net.url_check(delivery.subscription.url)
    except net.UnsafeUrl as exc:
        return None, f"refused: {exc}"
    body = delivery.body.encode()
    try:
        answer = net.post(target, body, _headers(delivery, body))
    except Exception as exc:  # timeouts, refusals, TLS, malformed answers: all retried
        return None, f"{type(exc).__name__}: {exc}"
    return answer, "" if 200 <= answer.status < 300 else f"HTTP {answer.status}"


def _failed(delivery: WebhookDelivery, answer: net.Answer | None, error: str) -> str:
    now = timezone.now()
    seen = {"last_status": answer.status if answer else None, "last_error": error[:500]}
    seen["response_excerpt"] = answer.excerpt[:500] if answer else ""
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        state = WebhookDelivery.State.FAILED
        if _finish(delivery, state=state, next_attempt_at=None, finished_at=now, **seen):
            reason = f"delivery {delivery.pk} failed {delivery.attempts} times: {error}"
            subscription_disable(delivery.subscription_id, reason)
        return state
    delay = retry_delay(delivery.attempts)
    due = now + dt.timedelta(seconds=delay)
    if _finish(delivery, state=WebhookDelivery.State.PENDING, next_attempt_at=due, **seen):
        logger.info(
            "webhook delivery %s failed (attempt %d), retry in %.0f s: %s",
            delivery.pk, delivery.attempts, delay, error,
        )  # fmt: skip
        publish(DELIVERY_TASK, (delivery.pk,), countdown=delay, retry=False)
    return WebhookDelivery.State.PENDING


def webhook_delivery_attempt(delivery_id: int, *, now: dt.datetime | None = None) -> str | None:
    """Claim the delivery if due and POST it: returns `delivered`, `pending` (a retry is
    scheduled) or `failed`; None, doing nothing, if it is gone, done, not due or claimed by
    another worker. Never raises for the endpoint's faults: they are recorded on the row."""
    delivery = _claim(delivery_id, now or timezone.now())
    if delivery is None:
        return None
    if not delivery.subscription.is_active:
        _finish(
            delivery, state=WebhookDelivery.State.FAILED, next_attempt_at=None,
            finished_at=timezone.now(), last_error="subscription disabled",
        )  # fmt: skip
        return WebhookDelivery.State.FAILED
    answer, error = _send(delivery)
    if error:
        return _failed(delivery, answer, error)
    assert answer is not None  # noqa: S101 (no error means an answer)
    _finish(
        delivery, state=WebhookDelivery.State.DELIVERED, next_attempt_at=None,
        finished_at=timezone.now(), last_status=answer.status, last_error="",
        response_excerpt=answer.excerpt[:500],
    )  # fmt: skip
    return WebhookDelivery.State.DELIVERED


def webhook_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Re-publish open deliveries due for more than OUTBOX_SWEEP_AFTER seconds (a lost
    message, a claim whose worker died), oldest first, at most SWEEP_BATCH a tick."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.OUTBOX_SWEEP_AFTER)
    due = list(
        WebhookDelivery.objects.filter(state__in=OPEN, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        publish(DELIVERY_TASK, (delivery_id,), retry=False)
    return due


def webhook_prune(*, now: dt.datetime | None = None) -> int:
    """Delete finished deliveries past their retention, as the outbox does its own
    (events.services.finished_before: delivered after OUTBOX_RETENTION_DAYS, failed after
    OUTBOX_FAILED_RETENTION_DAYS, the time a failed one stays open to redelivery). Open ones
    are never deleted. Batched; returns how many this run deleted."""
    deleted = sum(
        delete_in_batches(WebhookDelivery.objects.filter(finished), order="finished_at")
        for finished in finished_before(now or timezone.now())
    )
    if deleted:
        logger.info("webhook prune deleted %d delivery(ies)", deleted)
    return deleted


def subscription_delete(*, subscription_id: int) -> None:
    """Delete the subscription and its deliveries (open ones are not sent)."""
    WebhookSubscription.objects.filter(pk=subscription_id).delete()
