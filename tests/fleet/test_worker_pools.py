"""Worker pools per queue, as the Procfile runs them (real `celery worker` processes on this
run's broker): a mail backlog never delays a rating; and however many beats fire a periodic
sweep at once, it runs once at a time (config.locks)."""

import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from accounts.mail import mail_queue
from config.locks import lock_key, single_run
from reviews.models import ModelRating, ModelRatingState, Review
from reviews.services import ReviewDraft, review_create, review_verify
from reviews.tasks import rating_sweep_task
from tests import broker
from tests.accounts.conftest import wait_for
from tests.conftest import make_user
from tests.factories import AIModelFactory
from tests.fleet.conftest import fleet_env, mails_sent, workers

pytestmark = pytest.mark.fleet
BODY = "A long enough review body that says something about the model. " * 2
PENDING = "rating:pending:{}"  # reviews.ratings.stale: a recompute of the model is pending
BACKLOG = 40  # slow mails: 1 s each, 4 processes in the mail pool => ~10 s of backlog


def _moderator() -> Any:
    from accounts.services import moderator_grant

    user = make_user()
    moderator_grant(user=user)
    return user


def _pending(model: Any, rating: int) -> Review:
    return review_create(
        author=make_user(), model=model, draft=ReviewDraft(rating=rating, title="t", body=BODY)
    )


@pytest.mark.django_db(transaction=True)
def test_a_mail_backlog_never_delays_a_rating(tmp_path):
    # given the ratings and mail pools of the Procfile, and a mail server that takes 1 s a
    # message, with a backlog of slow mail queued
    env = fleet_env(tmp_path, EMAIL_BACKEND="tests.fleet.slow_mail.SlowFileBackend")
    broker.purge("ratings", "mail", "webhooks")
    moderator, model = _moderator(), AIModelFactory()
    review = _pending(model, rating=5)
    with workers(["worker_ratings", "worker_mail"], env, tmp_path):
        for index in range(BACKLOG):  # each recorded in the outbox, published at once
            mail_queue(
                subject=f"backlog {index}", body="body", html_body="",
                from_email="noreply@example.org", recipients=["a@example.org"],
            )  # fmt: skip
        wait_for(lambda: mails_sent(tmp_path), timeout=30)  # the mail pool is busy

        # when a moderator verifies a review (a rating change)
        review_verify(review=review, moderator=moderator)

        # then the rating shows it while the mail backlog is still waiting in its queue
        wait_for(lambda: _counted(model) == 1, timeout=30)
        sent, waiting = len(mails_sent(tmp_path)), broker.depth("mail")
        print(f"\nrating landed with {sent} of {BACKLOG} mails sent, {waiting} still queued")
        assert sent < BACKLOG and waiting > 0
        assert not ModelRatingState.objects.get(model=model).stale

        # and the backlog drains in full afterwards (nothing was dropped to make room)
        wait_for(lambda: len(mails_sent(tmp_path)) == BACKLOG, timeout=90)


def _counted(model: Any) -> int:
    row = ModelRating.objects.filter(pk=model.pk).first()
    return row.review_count if row else 0


# --- One sweep at a time, whatever the number of beats ------------------------------------


def _held_elsewhere(name: str) -> Any:
    """A second database session holding the lock `name` (another worker's sweep running)."""
    from django.db import connections

    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(name)])
    return other


def _end_session(other: Any) -> None:
    """Close `other` and wait until its server process is gone. PostgreSQL releases a
    session's advisory locks as that process exits, after the client has already hung up: a
    sweep started right after the close could still find the lock held (this test then
    failed now and then on a loaded machine: seen on RabbitMQ, but nothing here depends on
    the broker)."""
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other.close()

    def gone() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone() is None

    wait_for(gone, timeout=15)


@pytest.mark.django_db(transaction=True)
def test_a_sweep_skips_while_another_run_holds_its_lock(settings):
    # given a stale model, and the rating sweep already running elsewhere (its lock held)
    settings.RATING_STALE_SWEEP_AFTER = 0
    broker.purge("ratings", "maintenance")
    moderator, model = _moderator(), AIModelFactory()
    review_verify(review=_pending(model, 4), moderator=moderator)
    broker.purge("ratings")
    cache.clear()  # the debounce key of that first publish
    other = _held_elsewhere("reviews.rating_sweep")
    try:
        # when the sweep fires here too, then it skips: no publish even attempted (a publish
        # claims the model's debounce key first)
        rating_sweep_task()
        assert cache.get(PENDING.format(model.pk)) is None
        assert broker.depth("ratings") == 0
    finally:
        _end_session(other)  # the other run ends: PostgreSQL releases its lock with the session

    # and once the other run is over, the next tick sweeps
    rating_sweep_task()
    assert cache.get(PENDING.format(model.pk)) is not None
    wait_for(lambda: broker.depth("ratings") == 1, timeout=15)  # after its countdown


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_run_one_after_the_other_never_together():
    # given a lock-protected body that records how many runs are inside it at once
    inside, most, entered = [0], [0], []
    gate = threading.Barrier(2)
    guard = threading.Lock()

    def sweep() -> None:
        gate.wait()
        try:
            with single_run("tests.fleet.sweep") as held:
                if not held:
                    entered.append(False)
                    return
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                entered.append(True)
                threading.Event().wait(0.5)  # a sweep that takes a while
                with guard:
                    inside[0] -= 1
        finally:
            connection.close()

    # when two beats fire the same sweep at the same moment
    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one ran it and the other stepped aside
    assert sorted(entered) == [False, True]
    assert most[0] == 1
