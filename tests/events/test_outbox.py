"""The outbox: events recorded with the change, delivered at least once, retried, swept."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from events.exceptions import PermanentDeliveryError
from events.models import Delivery, Event
from events.services import (
    DELIVERY_TASK,
    delivery_attempt,
    delivery_sweep,
    outbox_record,
    retry_delay,
)
from tests import broker
from tests.events.conftest import TEST_EVENT, Recorder

pytestmark = [pytest.mark.django_db, pytest.mark.broker]


def _past(seconds: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=seconds)


def _queued(queue: str = "mail") -> list[dict]:
    return broker.queued_headers(queue)


def _purge(queue: str = "mail") -> None:
    broker.purge(queue)


# --- Recording ---------------------------------------------------------------------------


def test_record_writes_the_event_and_a_delivery_per_consumer_published_after_commit(
    recorder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = outbox_record(TEST_EVENT, {"thing_id": 7})
    [delivery] = Delivery.objects.filter(event=event)
    assert (event.type, event.payload) == (TEST_EVENT, {"thing_id": 7})
    assert (delivery.consumer, delivery.state, delivery.attempts) == ("test_recorder", "pending", 0)
    assert len(callbacks) == 1  # the delivery's publish, only after commit


def test_an_event_nobody_consumes_is_recorded_without_deliveries(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = outbox_record("nobody.listens", {"id": 1})
    assert not Delivery.objects.filter(event=event).exists()
    assert callbacks == []


def test_events_roll_back_with_the_change(recorder):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_record(TEST_EVENT, {"thing_id": 1})
        raise RuntimeError("the change failed")
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_the_database_holds_one_delivery_per_consumer_and_valid_states(recorder):
    event = outbox_record(TEST_EVENT, {})
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(event=event, consumer="test_recorder", next_attempt_at=_past(0))
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(event=event, consumer="x", state="lost", next_attempt_at=_past(0))
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(event=event, consumer="y", state="delivered")  # no finished_at


# --- Delivery ----------------------------------------------------------------------------


def test_a_delivery_is_marked_delivered_only_after_the_consumer_succeeded(recorder):
    # given a pending delivery
    event = outbox_record(TEST_EVENT, {})
    states_during = []
    recorder.during = lambda e: states_during.append(Delivery.objects.get(event=e).state)

    # when the worker attempts it
    assert delivery_attempt(Delivery.objects.get(event=event).pk) == "delivered"

    # then it was claimed (not delivered) while the consumer ran, and delivered after
    assert states_during == ["claimed"]
    delivery = Delivery.objects.get(event=event)
    assert (delivery.state, delivery.attempts, delivery.result) == ("delivered", 1, "ok")
    assert delivery.finished_at is not None and delivery.next_attempt_at is None
    assert recorder.seen == [event.pk]
    # and a second message for it finds nothing to do
    assert delivery_attempt(delivery.pk) is None
    assert recorder.seen == [event.pk]


def test_a_failure_schedules_a_retry_with_backoff(
    recorder, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    recorder.errors = [ConnectionRefusedError("smtp down")]
    event = outbox_record(TEST_EVENT, {})
    delivery = Delivery.objects.get(event=event)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert delivery_attempt(delivery.pk) == "pending"

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "ConnectionRefusedError: smtp down" in delivery.last_error
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 15 <= wait <= 31  # half to all of the first backoff step (jitter)
    assert len(callbacks) == 1  # the retry's publish, with its countdown
    # not due yet: a message arriving early claims nothing
    assert delivery_attempt(delivery.pk) is None
    # when it is due, the retry delivers it
    assert delivery_attempt(delivery.pk, now=delivery.next_attempt_at) == "delivered"


def test_backoff_doubles_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 60
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        assert ceiling / 2 <= retry_delay(attempts) <= ceiling


def test_after_the_last_attempt_the_failure_is_recorded_and_logged_once(recorder, settings, caplog):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    recorder.errors = [TimeoutError("first"), TimeoutError("second")]
    event = outbox_record(TEST_EVENT, {})
    delivery = Delivery.objects.get(event=event)

    assert delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery_attempt(delivery.pk, now=delivery.next_attempt_at) == "failed"

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == "TimeoutError: second"
    assert delivery.finished_at is not None and delivery.next_attempt_at is None
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "failed for good" in errors[0].getMessage()
    # a failed delivery is never attempted or swept again
    assert delivery_attempt(delivery.pk, now=timezone.now() + dt.timedelta(days=1)) is None
    assert delivery_sweep(now=timezone.now() + dt.timedelta(days=1)) == []


def test_a_permanent_error_fails_at_once(recorder):
    recorder.errors = [PermanentDeliveryError("550 no such user")]
    event = outbox_record(TEST_EVENT, {})
    assert delivery_attempt(Delivery.objects.get(event=event).pk) == "failed"
    assert Delivery.objects.get(event=event).attempts == 1


# --- The sweep ---------------------------------------------------------------------------


def test_the_sweep_republishes_due_and_lapsed_deliveries_only(recorder, settings):
    # given deliveries in every situation
    settings.OUTBOX_SWEEP_AFTER = 30
    _purge()
    rows = {}
    for name in ["due", "fresh", "lapsed", "held", "done"]:
        event = outbox_record(TEST_EVENT, {"name": name})
        rows[name] = Delivery.objects.get(event=event)
    Delivery.objects.filter(pk=rows["due"].pk).update(next_attempt_at=_past(60))
    claimed = {"state": "claimed", "claimed_at": _past(400), "attempts": 1}
    Delivery.objects.filter(pk=rows["lapsed"].pk).update(**claimed, next_attempt_at=_past(100))
    Delivery.objects.filter(pk=rows["held"].pk).update(**claimed, next_attempt_at=_past(-200))
    Delivery.objects.filter(pk=rows["done"].pk).update(
        state="delivered", next_attempt_at=None, finished_at=_past(60)
    )
    _purge()

    # when the sweep runs
    swept = delivery_sweep()

    # then it published the due row and the lapsed claim, nothing else
    assert sorted(swept) == sorted([rows["lapsed"].pk, rows["due"].pk])
    queued = _queued()
    assert [h["task"] for h in queued] == [DELIVERY_TASK, DELIVERY_TASK]
    assert sorted(h["argsrepr"] for h in queued) == sorted(f"({pk},)" for pk in swept)
    # and the lapsed claim can be taken over
    assert delivery_attempt(rows["lapsed"].pk) == "delivered"
    assert Delivery.objects.get(pk=rows["lapsed"].pk).attempts == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_delivery_run_the_consumer_once(recorder):
    # given a due delivery, and two workers holding a message for it (a duplicate publish)
    event = outbox_record(TEST_EVENT, {})
    delivery_id = Delivery.objects.get(event=event).pk
    barrier = threading.Barrier(2)
    outcomes = []

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(delivery_attempt(delivery_id))
        finally:
            connection.close()

    # the consumer is slow, so the second claim surely lands while the first one runs
    recorder.during = lambda e: threading.Event().wait(0.3)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one claimed it and the consumer ran once
    assert sorted(outcomes, key=str) == sorted(["delivered", None], key=str)
    assert recorder.seen == [event.pk]
    assert Delivery.objects.get(pk=delivery_id).attempts == 1


def test_a_consumer_nobody_registers_any_more_is_retried_then_failed(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    event = Event.objects.create(type=TEST_EVENT, payload={})
    delivery = Delivery.objects.create(event=event, consumer="gone", next_attempt_at=_past(1))
    assert delivery_attempt(delivery.pk) == "failed"
    assert "no consumer 'gone'" in Delivery.objects.get(pk=delivery.pk).last_error


def test_recorder_fixture_is_isolated():
    # the registry holds no test consumer outside the fixture
    from events.registry import consumers_for

    assert consumers_for(TEST_EVENT) == []
    assert isinstance(Recorder(), Recorder)


def test_staff_see_failed_deliveries_in_the_admin_read_only(recorder, settings, admin):
    # given a delivery that failed for good
    settings.OUTBOX_MAX_ATTEMPTS = 1
    recorder.errors = [TimeoutError("smtp timed out")]
    event = outbox_record(TEST_EVENT, {})
    delivery = Delivery.objects.get(event=event)
    delivery_attempt(delivery.pk)
    from django.test import Client

    browser = Client()
    browser.force_login(admin.user)
    # then the admin lists it by state, shows the error, and offers no change
    listing = browser.get("/admin/events/delivery/", {"state__exact": "failed"})
    assert listing.status_code == 200
    assert b"test_recorder" in listing.content
    page = browser.get(f"/admin/events/delivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert b"TimeoutError: smtp timed out" in page.content
    assert b'name="_save"' not in page.content
