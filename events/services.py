"""The outbox: record events with the change that causes them; deliver them at least once.

    change ──(same transaction)──> Event row + a Delivery row per registered consumer
        └─(after commit)──> delivery_task(delivery_id)                 the fast path
    delivery_task: claim the row (one conditional UPDATE), run the consumer, then mark it
        delivered; on failure schedule a retry (exponential backoff, jitter), and after
        OUTBOX_MAX_ATTEMPTS mark it failed with the error (admin, and one log line)
    beat, every 30 s: delivery_sweep re-publishes due rows: retries whose message was lost
        and claims that lapsed (a killed worker)                         the record
    beat, hourly: outbox_prune deletes delivered rows after OUTBOX_RETENTION_DAYS, failed ones
        after OUTBOX_FAILED_RETENTION_DAYS, and events nothing refers to any more after
        OUTBOX_EVENT_RETENTION_DAYS

At least once: a worker lost after the consumer ran but before the row was marked runs it
again. Consumers are idempotent where they can be; a mail may arrive twice, never not at all.
"""

import datetime as dt
import logging
import random
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import Combinable
from django.utils import timezone

from config.enqueue import publish, publish_on_commit, task_name
from config.prune import delete_in_batches
from events.exceptions import PermanentDeliveryError
from events.models import Delivery, Event
from events.registry import consumer_get, consumers_for

logger = logging.getLogger(__name__)
DELIVERY_TASK = task_name("events.tasks.delivery_task")
BATCH = 500  # rows an INSERT
SWEEP_BATCH = 500  # deliveries re-published per sweep tick; the next tick takes the rest
OPEN = (Delivery.State.PENDING, Delivery.State.CLAIMED)


def outbox_record(event_type: str, payload: Mapping[str, Any]) -> Event:
    """Append one event; see `outbox_record_many`."""
    [event] = outbox_record_many(event_type, [payload])
    return event


# No savepoint (two more round trips per recorded event, on every write that records one):
# inside the caller's transaction the event is part of the change, and a failure here fails
# the change; outside one, `atomic` still opens the transaction of its own. So a caller must
# never catch an error raised from here and carry on in the same transaction: it is marked
# for rollback (wrap the call in its own `atomic()` if it must go on without the event).
@transaction.atomic(savepoint=False)
def outbox_record_many(event_type: str, payloads: Sequence[Mapping[str, Any]]) -> list[Event]:
    """Append events of `event_type` (one per payload: small, JSON, ids rather than copies)
    and a pending delivery for each consumer registered for the type that wants it (see
    `consumer_register`), in the caller's transaction: they commit or roll back with the
    change (called outside one, its own: the event never commits without its deliveries).
    After commit, each delivery is published to the worker (publish-safe; the sweep covers
    a lost publish). Two INSERTs."""
    if not payloads:
        return []
    now = timezone.now()
    events = Event.objects.bulk_create(
        [Event(type=event_type, payload=dict(payload), created_at=now) for payload in payloads],
        batch_size=BATCH,
    )
    consumers = [c for c in consumers_for(event_type) if c.wants(event_type)]
    if consumers:
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(event=event, consumer=consumer.name, next_attempt_at=now)
                for event in events
                for consumer in consumers
            ],
            batch_size=BATCH,
        )
        for delivery in deliveries:
            # No publish retries: the row is the record, and a request must not wait.
            publish_on_commit(DELIVERY_TASK, (delivery.pk,), retry=False)
    return events


def _claim(delivery_id: int, now: dt.datetime) -> Delivery | None:
    """Take the delivery if it is due: pending, or claimed by a worker whose lease lapsed.

    One conditional UPDATE (healthchecks.io style): of two workers holding messages for the
    same row, PostgreSQL lets one UPDATE match and the other, re-checking the row after the
    first commits, matches nothing. The claim is committed before the consumer runs (no
    transaction is held across a mail server), and lasts OUTBOX_LEASE_SECONDS.
    """
    lease = dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    claimed = Delivery.objects.filter(
        pk=delivery_id, state__in=OPEN, next_attempt_at__lte=now
    ).update(
        state=Delivery.State.CLAIMED,
        claimed_at=now,
        next_attempt_at=now + lease,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("event").get(pk=delivery_id)


def _finish(delivery: Delivery, **values: Any) -> bool:
    # Only while our claim holds (same attempt): a lapsed claim taken over by another worker
    # is that worker's to finish.
    return bool(
        Delivery.objects.filter(
            pk=delivery.pk, state=Delivery.State.CLAIMED, attempts=delivery.attempts
        ).update(**values)
    )


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: OUTBOX_RETRY_BASE_SECONDS doubling per attempt,
    capped at OUTBOX_RETRY_MAX_SECONDS, with jitter (between half and all of it) so that
    deliveries that failed together do not retry together."""
    ceiling = min(
        settings.OUTBOX_RETRY_MAX_SECONDS,
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


def _failed(delivery: Delivery, exc: Exception) -> Delivery.State:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    now = timezone.now()
    permanent = isinstance(exc, PermanentDeliveryError)
    if permanent or delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        if _finish(
            delivery, state=Delivery.State.FAILED, next_attempt_at=None, finished_at=now,
            last_error=error,
        ):  # fmt: skip
            logger.error(
                "outbox delivery %s (%s of %s) failed for good after %d attempt(s): %s",
                delivery.pk, delivery.consumer, delivery.event.type, delivery.attempts, error,
            )  # fmt: skip
        return Delivery.State.FAILED
    delay = retry_delay(delivery.attempts)
    if _finish(
        delivery, state=Delivery.State.PENDING, next_attempt_at=now + dt.timedelta(seconds=delay),
        last_error=error,
    ):  # fmt: skip
        logger.warning(
            "outbox delivery %s (%s) failed, attempt %d; retry in %.0f s: %s",
            delivery.pk, delivery.consumer, delivery.attempts, delay, error,
        )  # fmt: skip
        publish_on_commit(DELIVERY_TASK, (delivery.pk,), countdown=delay, retry=False)
    return Delivery.State.PENDING


def delivery_attempt(delivery_id: int, *, now: dt.datetime | None = None) -> str | None:
    """Claim the delivery if due, run its consumer, and record the outcome: `delivered`
    (only after the consumer returned), `pending` (a retry is scheduled) or `failed`.
    Returns None, doing nothing, if the row is gone, done, not due, or claimed by another
    worker. Never raises for a consumer's error: it is recorded on the row."""
    delivery = _claim(delivery_id, now or timezone.now())
    if delivery is None:
        return None
    consumer = consumer_get(delivery.consumer)
    try:
        if consumer is None:
            raise LookupError(f"no consumer {delivery.consumer!r} is registered")
        note = consumer.handler(delivery.event)
    except Exception as exc:
        return _failed(delivery, exc)
    _finish(
        delivery, state=Delivery.State.DELIVERED, next_attempt_at=None,
        finished_at=timezone.now(), result=(note or "")[:200], last_error="",
    )  # fmt: skip
    return Delivery.State.DELIVERED


def delivery_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Re-publish every open delivery due for more than OUTBOX_SWEEP_AFTER seconds (a retry
    whose message was lost, a claim whose worker died), oldest first, at most SWEEP_BATCH.
    Returns their ids. A row whose message is merely waiting in a queue is published twice;
    the second finds nothing to claim."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.OUTBOX_SWEEP_AFTER)
    due = list(
        Delivery.objects.filter(state__in=OPEN, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        publish(DELIVERY_TASK, (delivery_id,), retry=False)
    if due:
        logger.info("outbox sweep re-published %d delivery(ies)", len(due))
    return due


def finished_before(now: dt.datetime) -> list[Q]:
    """Finished rows past their retention: delivered ones after OUTBOX_RETENTION_DAYS, failed
    ones (kept for staff and owners to look into, or redeliver) after
    OUTBOX_FAILED_RETENTION_DAYS. For any delivery table with `state` and `finished_at`, and
    an index on (state, finished_at) of its finished rows: one filter per state, each then a
    range of that index, taken oldest first (config.prune)."""
    delivered = now - dt.timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    failed = now - dt.timedelta(days=settings.OUTBOX_FAILED_RETENTION_DAYS)
    return [
        Q(state="delivered", finished_at__lt=delivered),
        Q(state="failed", finished_at__lt=failed),
    ]


def _unreferenced() -> list[Combinable]:
    """No row of any app refers to the event (its deliveries, webhook deliveries, ...): found
    through the model's reverse relations, so the outbox needs no import of the apps above.
    One NOT EXISTS per relation."""
    return [
        ~Exists(
            relation.related_model._default_manager.filter(**{relation.field.name: OuterRef("pk")})
        )
        for relation in Event._meta.related_objects
    ]


def outbox_prune(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Delete finished deliveries past their retention (`finished_before`), then events older
    than OUTBOX_EVENT_RETENTION_DAYS that nothing refers to any more: an event waits for every
    delivery of it, open or failed, of every app. Open deliveries are never deleted. Batched
    (config.prune); returns (deliveries, events) deleted by this run."""
    now = now or timezone.now()
    deliveries = sum(
        delete_in_batches(Delivery.objects.filter(finished), order="finished_at")
        for finished in finished_before(now)
    )
    events_cutoff = now - dt.timedelta(days=settings.OUTBOX_EVENT_RETENTION_DAYS)
    events = delete_in_batches(
        Event.objects.filter(*_unreferenced(), created_at__lt=events_cutoff), order="created_at"
    )
    if deliveries or events:
        logger.info("outbox prune deleted %d delivery(ies), %d event(s)", deliveries, events)
    return deliveries, events
