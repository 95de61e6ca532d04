"""The integrity scan after commit (reviews.integrity.scan): the due mark written with the
review, the task published after commit and run by a real worker, the sweep that covers a
lost message, and the bound on what one scan reads. The tests without a worker run on SQLite
too (`make test-sqlite`), where the near-duplicate check is skipped with a note."""

import datetime as dt
import logging
import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from reviews.integrity.scan import INTEGRITY_SCAN_TASK, integrity_scan_run, integrity_scan_sweep
from reviews.integrity.similarity import near_duplicates_find
from reviews.models import IntegrityFlag, Review
from reviews.services import (
    ReviewDraft,
    review_create,
    review_reject,
    review_update,
    review_withdraw,
)
from tests import broker
from tests.accounts.conftest import wait_for
from tests.conftest import make_user
from tests.factories import AIModelFactory
from tests.reviews.test_integrity_flags import NEAR_COPY, OTHER, TEXT

ON_POSTGRESQL = connection.vendor == "postgresql"


def _apart(days: int) -> Any:
    return make_user(date_joined=timezone.now() - dt.timedelta(days=days))


def _create(model: Any, body: str, days: int = 100) -> Review:
    draft = ReviewDraft(rating=2, title="A review", body=body)
    return review_create(author=_apart(days), model=model, draft=draft)


def _due(review: Review) -> dt.datetime | None:
    return Review.objects.values_list("integrity_scan_due_at", flat=True).get(pk=review.pk)


@pytest.mark.django_db
def test_review_create_marks_the_scan_due_and_publishes_it_only_after_commit(
    ai_model, django_capture_on_commit_callbacks
):
    broker.purge("default")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review = _create(ai_model, TEXT)
        # given the transaction still open: the mark is written, nothing is published
        assert _due(review) is not None
        assert broker.depth("default") == 0
    for callback in callbacks:
        callback()
    tasks = [headers["task"] for headers in broker.queued_headers("default")]
    assert tasks == [INTEGRITY_SCAN_TASK]
    assert not IntegrityFlag.objects.exists()  # nothing flagged in the request


@pytest.mark.django_db
def test_the_scan_flags_clears_the_mark_and_a_duplicate_run_does_nothing(ai_model, caplog):
    first = _create(ai_model, TEXT)
    second = _create(ai_model, NEAR_COPY, days=200)

    with caplog.at_level(logging.INFO, logger="reviews.integrity.similarity"):
        assert integrity_scan_run(second.pk) is True
    assert _due(second) is None
    assert integrity_scan_run(second.pk) is False  # a duplicate message: nothing due
    flagged = IntegrityFlag.objects.filter(review=second, kind="near_duplicate").exists()
    if ON_POSTGRESQL:
        assert flagged
        assert IntegrityFlag.objects.get(review=first).similar_review_id == second.pk
    else:
        assert not flagged
        assert "skipped: needs PostgreSQL" in caplog.text


@pytest.mark.django_db
def test_a_withdrawn_review_is_not_scanned_and_leaves_nothing_due(ai_model, author):
    _create(ai_model, TEXT)
    review = review_create(
        author=author, model=ai_model, draft=ReviewDraft(rating=2, title="T", body=NEAR_COPY)
    )
    review_withdraw(review=review, author=author)

    assert integrity_scan_run(review.pk) is False
    assert _due(review) is None
    assert not IntegrityFlag.objects.filter(review=review).exists()


@pytest.mark.django_db
def test_an_appeal_is_due_a_scan_again(ai_model, moderator):
    review = _create(ai_model, OTHER)
    assert integrity_scan_run(review.pk)
    review_reject(review=review, moderator=moderator.user, reason="off_topic")
    assert _due(review) is None

    review_update(review=review, author=review.author, changes={"body": NEAR_COPY})

    assert _due(review) is not None


@pytest.mark.django_db
def test_the_moderation_queue_says_whether_the_scan_ran(ai_model, moderator):
    review = _create(ai_model, TEXT)

    def scanned() -> bool:
        queue = moderator.client.get("/api/v1/moderation/queue/").json()
        [item] = [item for item in queue["results"] if item["id"] == str(review.public_id)]
        return item["integrity_scanned"]

    assert scanned() is False
    integrity_scan_run(review.pk)
    assert scanned() is True


@pytest.mark.django_db
def test_the_sweep_republishes_only_reviews_due_for_a_while(ai_model, settings):
    settings.INTEGRITY_SCAN_SWEEP_AFTER = 30
    old = _create(ai_model, TEXT)
    recent = _create(ai_model, OTHER, days=200)
    scanned = _create(ai_model, NEAR_COPY, days=300)
    integrity_scan_run(scanned.pk)
    Review.objects.filter(pk=old.pk).update(
        integrity_scan_due_at=timezone.now() - dt.timedelta(seconds=31)
    )
    broker.purge("default")

    assert integrity_scan_sweep() == [old.pk]
    assert [h["task"] for h in broker.queued_headers("default")] == [INTEGRITY_SCAN_TASK]
    assert recent.pk not in integrity_scan_sweep(now=timezone.now())


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_trgm: PostgreSQL only")
@pytest.mark.django_db
def test_the_scan_is_bounded_and_still_finds_a_recent_copy(ai_model, settings):
    # given more similar reviews of the model than the cap, a near-copy the newest of them
    settings.INTEGRITY_SIMILARITY_MAX_CANDIDATES = 5
    older = [_create(ai_model, f"{TEXT} Number {n}.", days=100 + n) for n in range(7)]
    newest = _create(ai_model, NEAR_COPY, days=200)
    author = _apart(300)
    review_create(
        author=author, model=AIModelFactory(), draft=ReviewDraft(rating=2, title="T", body=OTHER)
    )

    # when the author's new review is compared
    review = review_create(
        author=author, model=ai_model, draft=ReviewDraft(rating=2, title="T", body=TEXT)
    )
    found = near_duplicates_find(review)

    # then it read the model's 5 most recent reviews and the author's one other, no more:
    # the near-copy is found, the similar reviews beyond the cap are not read
    assert found.compared == 5 + 1
    matched = {pk for pk, *_ in found.matches}
    assert newest.pk in matched
    assert matched == {newest.pk, *(r.pk for r in older[-4:])}


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction the activity view is a snapshot taken at its first read.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.skipif(not ON_POSTGRESQL, reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_an_edit_during_the_scan_stays_due_for_its_own_scan():
    # given a review whose scan has read it and waits to clear its mark (the row is locked
    # by the edit under way)
    review = _create(AIModelFactory(), OTHER)
    scanned: list[bool] = []

    def scan() -> None:
        try:
            scanned.append(integrity_scan_run(review.pk))
        finally:
            connection.close()

    with transaction.atomic():
        Review.objects.select_for_update().get(pk=review.pk)
        worker = threading.Thread(target=scan)
        worker.start()
        wait_for(_waiting_on_a_lock, timeout=10)
        # when the author's edit commits a new text meanwhile
        review_update(review=review, author=review.author, changes={"body": NEAR_COPY})
    worker.join(timeout=10)

    # then the scan of the old text ran, and the new text is still due its own scan
    assert scanned == [True]
    assert _due(review) is not None
    assert integrity_scan_run(review.pk) is True
    assert _due(review) is None


# --- With a real worker on the real broker ------------------------------------------------


@pytest.fixture
def scan_worker():
    """A worker consuming the default queue (the scan task's) on the real broker."""
    broker.purge("default")
    with broker.in_process_worker(["default"]):
        yield


@pytest.mark.worker
@pytest.mark.skipif(not ON_POSTGRESQL, reason="the in-process worker needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_a_near_copy_is_flagged_shortly_after_it_is_written(scan_worker):
    model = AIModelFactory()
    first = _create(model, TEXT)
    second = _create(model, NEAR_COPY, days=200)

    wait_for(lambda: IntegrityFlag.objects.filter(review=second).exists(), timeout=15)
    flag = IntegrityFlag.objects.get(review=second)
    assert (flag.kind, flag.similar_review_id) == ("near_duplicate", first.pk)
    wait_for(lambda: not Review.objects.filter(integrity_scan_due_at__isnull=False).exists())


@pytest.mark.worker
@pytest.mark.skipif(not ON_POSTGRESQL, reason="the in-process worker needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_review_whose_message_was_lost_is_scanned_by_the_sweep(settings):
    # given two reviews written while their messages were lost (the broker's queue emptied)
    model = AIModelFactory()
    first = _create(model, TEXT)
    second = _create(model, NEAR_COPY, days=200)
    broker.lose("default")
    assert _due(first) is not None and _due(second) is not None

    # when the sweep runs (beat) with a worker consuming the queue
    settings.INTEGRITY_SCAN_SWEEP_AFTER = 0
    with broker.in_process_worker(["default"]):
        assert set(integrity_scan_sweep()) == {first.pk, second.pk}
        wait_for(lambda: IntegrityFlag.objects.filter(review=second).exists(), timeout=15)

    # then both are scanned and nothing is left due
    assert IntegrityFlag.objects.get(review=second).similar_review_id == first.pk
    assert _due(first) is None and _due(second) is None


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_trgm: PostgreSQL only")
@pytest.mark.django_db
def test_a_failing_scan_stays_due_behind_the_lost_ones(ai_model, settings):
    # given two reviews whose messages were lost, the older one's scan failing (a negative
    # cap is a real error from PostgreSQL: LIMIT must not be negative)
    settings.INTEGRITY_SCAN_SWEEP_AFTER = 30
    failing, lost = _create(ai_model, TEXT), _create(ai_model, OTHER, days=200)
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    Review.objects.filter(pk=failing.pk).update(integrity_scan_due_at=long_ago)
    Review.objects.filter(pk=lost.pk).update(
        integrity_scan_due_at=long_ago + dt.timedelta(minutes=1)
    )
    settings.INTEGRITY_SIMILARITY_MAX_CANDIDATES = -1

    # when its scan fails
    with pytest.raises(Exception, match="LIMIT must not be negative"):
        integrity_scan_run(failing.pk)

    # then it is still due, but behind the other one in the sweep's order
    assert _due(failing) is not None and _due(failing) > long_ago
    settings.INTEGRITY_SCAN_SWEEP_AFTER = 0
    broker.purge("default")
    assert integrity_scan_sweep() == [lost.pk, failing.pk]
    # and once the fault is gone, its scan runs and clears the mark
    settings.INTEGRITY_SIMILARITY_MAX_CANDIDATES = 1000
    assert integrity_scan_run(failing.pk) is True
    assert _due(failing) is None
