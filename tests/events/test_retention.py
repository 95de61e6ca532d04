"""Retention: finished outbox and webhook deliveries, and events nothing refers to, are
deleted once past their retention, in batches, by one run at a time; open rows never."""

import datetime as dt
import re

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.locks import lock_key
from config.prune import delete_in_batches
from events.models import Delivery, Event
from events.services import outbox_prune
from events.tasks import outbox_prune_task
from tests.conftest import make_user
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_prune
from webhooks.tasks import webhook_prune_task

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def _event(days_old: float) -> Event:
    return Event.objects.create(type="test.retained", payload={}, created_at=_ago(days_old))


def _delivery(event: Event, state: str, finished_days_ago: float, consumer: str = "c") -> Delivery:
    if state in ("pending", "claimed"):
        return Delivery.objects.create(
            event=event, consumer=consumer, state=state, attempts=1,
            next_attempt_at=_ago(finished_days_ago), claimed_at=_ago(finished_days_ago),
        )  # fmt: skip
    return Delivery.objects.create(
        event=event, consumer=consumer, state=state, attempts=1,
        finished_at=_ago(finished_days_ago),
    )  # fmt: skip


def _webhook_delivery(event: Event, state: str, finished_days_ago: float) -> WebhookDelivery:
    subscription = WebhookSubscription.objects.create(
        owner=make_user(), url="https://hooks.example.org/in", event_types=["ping"],
        secret="whsec_test",
    )  # fmt: skip
    open_row = state in ("pending", "claimed")
    return WebhookDelivery.objects.create(
        subscription=subscription, event=event, event_type="ping", body="{}", state=state,
        next_attempt_at=_ago(finished_days_ago) if open_row else None,
        finished_at=None if open_row else _ago(finished_days_ago),
    )  # fmt: skip


def _exists(row: Delivery | Event | WebhookDelivery) -> bool:
    return type(row).objects.filter(pk=row.pk).exists()


def test_outbox_prune_deletes_finished_deliveries_past_their_retention_and_nothing_open():
    # given deliveries of every state, on either side of the retentions (30 and 180 days)
    event = _event(days_old=400)
    old_delivered = _delivery(event, "delivered", 31, "a")
    recent_delivered = _delivery(event, "delivered", 29, "b")
    failed_kept = _delivery(event, "failed", 31, "c")
    old_failed = _delivery(event, "failed", 181, "d")
    old_pending = _delivery(event, "pending", 365, "e")
    old_claimed = _delivery(event, "claimed", 365, "f")

    # when the prune runs
    deleted = outbox_prune(now=NOW)

    # then only the delivered row past 30 days and the failed one past 180 days are gone
    assert deleted == (2, 0)
    assert not _exists(old_delivered) and not _exists(old_failed)
    assert all(map(_exists, [recent_delivered, failed_kept, old_pending, old_claimed, event]))


def test_outbox_prune_deletes_an_event_once_nothing_refers_to_it_and_it_is_old():
    # given an old event whose only delivery is done, a young one, and an old one still open
    done = _event(days_old=91)
    _delivery(done, "delivered", 31)
    young = _event(days_old=89)
    still_open = _event(days_old=91)
    _delivery(still_open, "pending", 1)

    # when the prune runs (twice: idempotent)
    assert outbox_prune(now=NOW) == (1, 1)
    assert outbox_prune(now=NOW) == (0, 0)

    # then the done event went with its delivery; the young and the open one stay
    assert not _exists(done)
    assert _exists(young) and _exists(still_open)


def test_an_event_waits_for_its_webhook_deliveries_and_goes_after_their_prune():
    # given an old event whose outbox delivery is done, with webhook deliveries: one
    # delivered long ago, one that failed recently (kept: its owner may redeliver it)
    event = _event(days_old=200)
    _delivery(event, "delivered", 100)
    old_hook = _webhook_delivery(event, "delivered", 31)
    failed_hook = _webhook_delivery(event, "failed", 10)

    # when both prunes run, then the event stays while a webhook delivery refers to it
    assert webhook_prune(now=NOW) == 1
    assert outbox_prune(now=NOW) == (1, 0)
    assert not _exists(old_hook) and _exists(failed_hook) and _exists(event)

    # and once the failed one is past its retention too, both go
    later = NOW + dt.timedelta(days=180)
    assert webhook_prune(now=later) == 1
    assert outbox_prune(now=later) == (0, 1)
    assert not _exists(event)


def test_webhook_prune_never_deletes_an_open_delivery():
    event = _event(days_old=400)
    pending = _webhook_delivery(event, "pending", 300)
    assert webhook_prune(now=NOW) == 0
    assert _exists(pending)


def test_delete_in_batches_stops_after_its_batches_and_the_next_run_goes_on():
    events = [_event(days_old=105 - i) for i in range(5)]
    old = Event.objects.filter(pk__in=[e.pk for e in events])
    # a run of 2 batches of 2 deletes the 4 oldest; the next run the last one
    assert delete_in_batches(old, order="created_at", batch=2, max_batches=2) == 4
    assert list(old.values_list("pk", flat=True)) == [events[-1].pk]
    assert delete_in_batches(old, order="created_at", batch=2, max_batches=2) == 1
    assert not old.exists()


def test_prune_tasks_skip_while_another_run_holds_their_lock():
    # given old finished rows, and each prune already running elsewhere (its lock held)
    event = _event(days_old=400)
    delivery = _delivery(event, "delivered", 100)
    hook = _webhook_delivery(event, "delivered", 100)
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        for name in ("events.outbox_prune", "webhooks.webhook_prune"):
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(name)])
    try:
        # when the tasks fire here too, then they skip: nothing deleted
        outbox_prune_task()
        webhook_prune_task()
        assert _exists(delivery) and _exists(hook)
    finally:
        with other.cursor() as cursor:  # the other run ends
            cursor.execute("SELECT pg_advisory_unlock_all()")
        other.close()

    # and the next ticks prune
    webhook_prune_task()
    outbox_prune_task()
    assert not _exists(delivery) and not _exists(hook) and not _exists(event)


def test_each_prune_search_is_a_range_of_an_index_on_its_time_column():
    # given rows of every kind to prune
    event = _event(days_old=400)
    _delivery(event, "delivered", 31, "a")
    _delivery(event, "failed", 181, "b")
    _webhook_delivery(event, "delivered", 31)
    _event(days_old=400)
    # when the prunes run, their searches (the SELECTs of the primary keys to delete) ...
    with CaptureQueriesContext(connection) as queries:
        webhook_prune(now=NOW)
        outbox_prune(now=NOW)
    searches = [
        q["sql"] for q in queries if q["sql"].startswith("SELECT") and " LIMIT " in q["sql"]
    ]
    assert len(searches) >= 5  # delivered and failed of each delivery table, the events
    # ... are each served by an index whose condition bounds the time column (planned as on
    # a large table: a sequential scan is the tiny test table's cheapest plan, not the point)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in searches:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            bound = re.search(r"Index Cond: .*\((finished_at|created_at) <", plan)
            assert bound, plan
