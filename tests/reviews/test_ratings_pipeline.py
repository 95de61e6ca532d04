"""The rating pipeline on the real Redis broker: enqueue after commit, coalescing, the sweep,
Celery's configuration, and a real worker (freshness, concurrency, a burst, an outage)."""

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.beat import EmbeddedService
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import moderator_grant
from config.celery import app as celery_app
from reviews.models import ModelRating, ModelRatingState, Review
from reviews.ratings import rating_enqueue, rating_mark_stale, rating_recompute, rating_sweep
from reviews.services import (
    ReviewDraft,
    review_create,
    review_hide,
    review_restore,
    review_verify,
    review_withdraw,
)
from reviews.tasks import rating_recompute_task, rating_refresh_task, rating_sweep_task
from tests import broker
from tests.accounts.conftest import free_port, serve, wait_for
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory
from tests.reviews.conftest import BODY, moderation_url

QUEUE = "ratings"
RATING_TASKS = (rating_recompute_task, rating_sweep_task, rating_refresh_task)


def _purge() -> None:
    broker.purge(QUEUE, "maintenance")


def _queued() -> list[dict]:
    """The messages waiting in the ratings queue, oldest first (countdown ones included on
    Redis; on RabbitMQ they wait in the delay queues until due)."""
    return broker.queued_headers(QUEUE)


def _moderator() -> Any:
    user = make_user()
    moderator_grant(user=user)
    return user


def _pending(model, rating: int = 4) -> Review:
    draft = ReviewDraft(rating=rating, title="t", body=BODY)
    return review_create(author=make_user(), model=model, draft=draft)


def _published(model, moderator, rating: int = 4) -> Review:
    return review_verify(review=_pending(model, rating), moderator=moderator)


def _check_passes(*args: str) -> None:
    """`recompute_ratings --check` exits 0 (raises SystemExit(1) otherwise)."""
    call_command("recompute_ratings", "--check", *args)


# --- Enqueue, coalescing and the sweep (real broker, no worker) ------------------------


@pytest.mark.django_db
def test_mark_stale_enqueues_one_recompute_after_commit(django_capture_on_commit_callbacks):
    _purge()
    model = AIModelFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rating_mark_stale(model.pk)
    assert _queued() == []  # nothing is published inside the transaction
    for callback in callbacks:
        callback()
    [headers] = _queued()
    assert headers["task"] == rating_recompute_task.name
    assert headers["argsrepr"] == f"({model.pk},)"
    assert headers["eta"] is not None  # countdown: RATING_DEBOUNCE_SECONDS


@pytest.mark.django_db
def test_a_burst_of_enqueues_publishes_one_task_per_debounce_window(settings):
    # given a window long enough for 200 enqueues even on a loaded machine
    settings.RATING_DEBOUNCE_SECONDS = 5
    _purge()
    model = AIModelFactory()

    # when 200 changes enqueue within it, then only the first publishes
    published = [rating_enqueue(model.pk) for _ in range(200)]
    assert published.count(True) == 1
    assert len(_queued()) == 1

    # and once the window is over, the next change publishes again
    time.sleep(5.1)
    assert rating_enqueue(model.pk) is True
    assert len(_queued()) == 2


def _countdown(headers: dict) -> float:
    """Seconds from now to the message's ETA."""
    return (dt.datetime.fromisoformat(headers["eta"]) - timezone.now()).total_seconds()


@pytest.mark.django_db
def test_a_model_in_a_burst_gets_the_longer_window_and_an_isolated_change_the_short_one(
    settings,
):
    # given a 1 s window, growing to 3 s while changes keep coming
    settings.RATING_DEBOUNCE_SECONDS, settings.RATING_BURST_DEBOUNCE_SECONDS = 1, 3
    _purge()
    quiet, busy = AIModelFactory(), AIModelFactory()

    # when one model changes once and the other changes twice within its window
    assert rating_enqueue(quiet.pk) is True
    assert rating_enqueue(busy.pk) is True
    assert rating_enqueue(busy.pk) is False  # coalesced: the model is in a burst
    time.sleep(1.1)  # the first windows are over; both publish again
    assert rating_enqueue(quiet.pk) is True
    assert rating_enqueue(busy.pk) is True

    # then the isolated change waits the short window, the burst the long one
    by_model = {}
    for headers in _queued():
        by_model.setdefault(headers["argsrepr"], []).append(_countdown(headers))
    assert 0 < by_model[f"({quiet.pk},)"][-1] <= 1
    assert 1.5 < by_model[f"({busy.pk},)"][-1] <= 3


@pytest.mark.django_db
def test_enqueue_publishes_uncoalesced_when_the_cache_is_down(settings):
    _purge()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    assert rating_enqueue(1) is True
    assert rating_enqueue(1) is True
    assert len(_queued()) == 2


@pytest.mark.django_db
def test_sweep_reenqueues_models_stale_for_longer_than_the_setting():
    _purge()
    old, recent, fresh = AIModelFactory(), AIModelFactory(), AIModelFactory()
    minute_ago = timezone.now() - dt.timedelta(minutes=1)
    ModelRatingState.objects.create(model=old, stale=True, stale_since=minute_ago)
    ModelRatingState.objects.create(model=recent, stale=True, stale_since=timezone.now())
    ModelRatingState.objects.create(model=fresh, stale=False, stale_since=None)

    assert rating_sweep() == [old.pk]
    assert [h["argsrepr"] for h in _queued()] == [f"({old.pk},)"]


def test_rating_tasks_are_routed_to_the_ratings_queue_and_at_least_once():
    # Redis redelivers an unacknowledged task after the visibility timeout; RabbitMQ when the
    # consumer's connection closes (no timeout to outlast).
    options = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    visibility = options.get("visibility_timeout", float("inf"))
    for task in RATING_TASKS:
        # the sweep goes to `maintenance`, the periodic sweeps' own worker pool
        queue = "maintenance" if task is rating_sweep_task else QUEUE
        assert celery_app.amqp.router.route({}, task.name)["queue"].name == queue
        assert task.acks_late is True
        assert task.time_limit < visibility
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert celery_app.conf.accept_content == ["json"]


def test_beat_sweeps_every_30_seconds_and_refreshes_daily():
    schedule = celery_app.conf.beat_schedule
    sweep, refresh = schedule["rating-sweep"], schedule["rating-refresh"]
    assert (sweep["task"], sweep["schedule"]) == (rating_sweep_task.name, 30.0)
    assert sweep["options"]["expires"] <= 30
    assert refresh["task"] == rating_refresh_task.name
    assert refresh["schedule"] == crontab(hour=3, minute=17)


# --- A real worker ---------------------------------------------------------------------


@pytest.fixture
def ratings_worker() -> Iterator[None]:
    """A worker consuming the ratings queue on the real broker (stale messages dropped)."""
    _purge()
    with broker.in_process_worker([QUEUE, "maintenance"]):
        yield


def _drained(models: list) -> bool:
    states = ModelRatingState.objects.filter(model__in=models)
    # Counted, not peeked: reading messages off RabbitMQ would take them from the worker.
    return not states.filter(stale=True).exists() and not broker.depth(QUEUE)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_verify_over_http_shows_in_the_rating_within_5_seconds(ratings_worker):
    # given a pending review and a moderator
    moderator = _moderator()
    model = AIModelFactory()
    review = _pending(model, rating=5)
    client = token_client(moderator)

    # when the moderator verifies it over HTTP
    started = time.monotonic()
    response = client.post(moderation_url(review.public_id, "verify"), {}, format="json")
    assert response.status_code == 200

    # then the public rating endpoint shows it within 5 s
    def shown() -> bool:
        return client.get(f"/api/v1/models/{model.slug}/rating/").json()["review_count"] == 1

    wait_for(shown, timeout=5)
    print(f"\nverified -> visible in the rating endpoint: {time.monotonic() - started:.2f} s")


def _in_threads(work: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work[index]()
        except Exception as error:  # reported by the caller's assertion
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_recomputes_at_once_store_the_same_summary_as_one():
    # given a model with reviews
    moderator = _moderator()
    model = AIModelFactory()
    for rating in (5, 3, 4, 1):
        _published(model, moderator, rating)

    # when two recomputes run at the same moment
    assert _in_threads([lambda: rating_recompute(model.pk)] * 2) == [True, True]

    # then they ran one after the other (row lock) and the summary is exact
    row = ModelRating.objects.get(pk=model.pk)
    assert (row.review_count, row.average, row.recompute_count) == (4, 3.25, 2)
    _check_passes("--model", model.slug)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_concurrent_moderation_on_several_models_ends_with_exact_summaries(ratings_worker):
    # given four models, each with published and pending reviews
    moderator = _moderator()
    models = [AIModelFactory() for _ in range(4)]
    published = {m.pk: [_published(m, moderator, 1 + i % 5) for i in range(4)] for m in models}
    pending = {m.pk: [_pending(m, 5) for _ in range(3)] for m in models}

    # when threads verify, hide, withdraw and restore on all of them at once
    def work(model) -> Callable[[], None]:
        def run() -> None:
            first, second, third, _ = published[model.pk]
            for review in pending[model.pk]:
                review_verify(review=review, moderator=moderator)
            hidden = review_hide(review=first, moderator=moderator, reason="spam")
            review_withdraw(review=second, author=second.author)
            review_restore(review=hidden, moderator=moderator)
            review_hide(review=third, moderator=moderator, reason="off_topic")

        return run

    assert _in_threads([work(m) for m in models]) == [None] * 4

    # then once the queue drains, every stored summary equals a recompute
    wait_for(lambda: _drained(models), timeout=30)
    _check_passes()
    counts = {m.pk: ModelRating.objects.get(pk=m.pk).review_count for m in models}
    assert counts == dict.fromkeys(counts, 5)  # 4 + 3 verified - withdrawn - hidden


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_1000_changes_runs_few_recomputes_and_ends_exact(ratings_worker):
    # given a model with 50 published reviews, summarised
    moderator = _moderator()
    model = AIModelFactory()
    reviews = [_published(model, moderator, 1 + i % 5) for i in range(50)]
    wait_for(lambda: _drained([model]), timeout=30)
    before = ModelRating.objects.get(pk=model.pk).recompute_count

    # when 1,000 changes hit it as fast as one client can make them (hide all, restore all, ...)
    started = time.monotonic()
    for change in range(1000):
        index, hiding = change % 50, (change // 50) % 2 == 0
        review = reviews[index]
        reviews[index] = (
            review_hide(review=review, moderator=moderator, reason="spam")
            if hiding
            else review_restore(review=review, moderator=moderator)
        )
    duration = time.monotonic() - started

    # then after the queue drains the summary is exact, from far fewer than 1,000 recomputes
    wait_for(lambda: _drained([model]), timeout=60)
    recomputes = ModelRating.objects.get(pk=model.pk).recompute_count - before
    print(f"\n1000 changes in {duration:.1f} s -> {recomputes} recomputes executed")
    _check_passes("--model", model.slug)
    assert ModelRating.objects.get(pk=model.pk).review_count == 50
    assert recomputes <= duration / django_settings.RATING_DEBOUNCE_SECONDS + 3
    assert recomputes < 100


@pytest.fixture
def beat_sweeping_every_second(settings) -> Iterator[None]:
    """Celery beat (in a thread) with the sweep every second, and no grace period."""
    settings.RATING_STALE_SWEEP_AFTER = 0
    saved = celery_app.conf.beat_schedule
    sweep = {**saved["rating-sweep"], "schedule": 1.0}
    celery_app.conf.beat_schedule = {"rating-sweep": sweep}
    beat = EmbeddedService(celery_app, thread=True, scheduler_cls="celery.beat.Scheduler")
    beat.start()  # type: ignore[union-attr]  # thread=True: a Thread (celery-types' _Process has no start)
    try:
        yield
    finally:
        beat.stop()
        celery_app.conf.beat_schedule = saved


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_verify_answers_fast_and_the_sweep_catches_up(tmp_path, request):
    # given a pending review and a moderator, and a server whose Redis (cache and broker)
    # has nothing listening
    moderator = _moderator()
    model = AIModelFactory()
    review = _pending(model, rating=5)
    token = token_client(moderator)._credentials["HTTP_X_SESSION_TOKEN"]
    dead = f"127.0.0.1:{free_port()}"
    with serve(
        tmp_path, CELERY_BROKER_URL=f"redis://{dead}/0", CACHE_URL=f"rediscache://{dead}/1"
    ) as (server,):
        # when the moderator verifies the review
        started = time.monotonic()
        status, _ = server.call(
            "post", moderation_url(review.public_id, "verify"), {},
            headers={"X-Session-Token": token},
        )  # fmt: skip
        elapsed = time.monotonic() - started

    # then the answer is a 2xx within 2 s, and the model is marked stale, not yet summarised
    assert 200 <= status < 300, server.log.read_text()
    print(f"\nverify with Redis down answered {status} in {elapsed:.2f} s")
    assert elapsed < 2.0, f"verify took {elapsed:.2f} s with Redis down"
    assert ModelRatingState.objects.get(model=model).stale is True
    assert not ModelRating.objects.filter(model=model).exists()

    # when Redis is back (this process's worker and beat use the real one)
    request.getfixturevalue("ratings_worker")
    request.getfixturevalue("beat_sweeping_every_second")

    # then the sweep brings the rating up to date without anyone acting
    wait_for(lambda: ModelRating.objects.filter(model=model, review_count=1).exists(), 15)
    _check_passes("--model", model.slug)


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_debounce_key_is_not_left_set(tmp_path):
    # given a server whose broker has nothing listening (the cache is the real one)
    moderator = _moderator()
    model = AIModelFactory()
    review = _pending(model)
    token = token_client(moderator)._credentials["HTTP_X_SESSION_TOKEN"]
    with serve(tmp_path, CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0") as (server,):
        status, _ = server.call(
            "post", moderation_url(review.public_id, "verify"), {},
            headers={"X-Session-Token": token},
        )  # fmt: skip
    # then the publish failed quietly and the next change may publish at once
    assert status == 200
    assert "circuit open" in server.log.read_text()
    assert cache.get(f"rating:pending:{model.pk}") is None


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """An address that accepts TCP connections and never answers (a frozen or partitioned
    Redis): the kernel completes connections into the backlog; nobody reads them."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_with_redis_frozen_verify_still_answers_in_bounded_time(tmp_path, silent_redis):
    # given a server whose cache and broker accept connections but never answer
    moderator = _moderator()
    model = AIModelFactory()
    review = _pending(model)
    token = token_client(moderator)._credentials["HTTP_X_SESSION_TOKEN"]
    frozen = {"CELERY_BROKER_URL": f"redis://{silent_redis}/0"}
    with serve(tmp_path, CACHE_URL=f"rediscache://{silent_redis}/1", **frozen) as (server,):
        # when the moderator verifies the review
        started = time.monotonic()
        status, _ = server.call(
            "post", moderation_url(review.public_id, "verify"), {},
            headers={"X-Session-Token": token},
        )  # fmt: skip
        elapsed = time.monotonic() - started
    # then socket timeouts bound the wait (no hang until the server kills the worker) and
    # the committed verification is a success, its rating marked stale for the sweep
    print(f"\nverify with Redis frozen answered {status} in {elapsed:.2f} s")
    assert 200 <= status < 300, server.log.read_text()
    assert elapsed < 15, f"verify took {elapsed:.2f} s with Redis frozen"
    assert ModelRatingState.objects.get(model=model).stale is True


def _backend_waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


@pytest.mark.django_db(transaction=True)
def test_an_older_recompute_held_back_cannot_undo_a_newer_one():
    # given a model summarised with one review
    moderator = _moderator()
    model = AIModelFactory()
    _published(model, moderator, rating=5)
    rating_recompute(model.pk)
    held, release = threading.Event(), threading.Event()

    def hold_before_storing(execute, sql, params, many, context):
        # A database-level hook: recompute A stops right before its summary upsert.
        if 'INSERT INTO "reviews_modelrating"' in sql and "DO UPDATE" in sql:
            held.set()
            release.wait(30)
        return execute(sql, params, many, context)

    def recompute_a() -> bool:
        try:
            with connection.execute_wrapper(hold_before_storing):
                return rating_recompute(model.pk)
        finally:
            connection.close()

    pids: list[int] = []

    def recompute_b() -> bool:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            return rating_recompute(model.pk)
        finally:
            connection.close()

    results: dict[str, Any] = {}
    run_a = threading.Thread(target=lambda: results.setdefault("a", recompute_a()))
    run_a.start()
    assert held.wait(15), "recompute A never reached its store"

    # when a newer change commits while A (which read the older data) is held back ...
    _published(model, moderator, rating=1)
    # ... and a newer recompute B starts: it waits for A's lock instead of racing it
    run_b = threading.Thread(target=lambda: results.setdefault("b", recompute_b()))
    run_b.start()
    wait_for(lambda: bool(pids) and _backend_waits_on_a_lock(pids[0]), 15)
    release.set()
    run_a.join(30)
    run_b.join(30)

    # then the newer summary stays: both reviews, the newest change seen, nothing stale
    assert results == {"a": True, "b": True}
    stored = ModelRating.objects.get(pk=model.pk)
    state = ModelRatingState.objects.get(pk=model.pk)
    assert (stored.review_count, stored.computed_seq) == (2, state.change_seq)
    assert state.stale is False
    _check_passes("--model", model.slug)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_contended_moderation_over_http_on_shared_models_ends_with_exact_summaries(
    ratings_worker,
):
    # given three models never rated (no stale-mark row yet), nine pending reviews each,
    # and the worker recomputing while the writers run
    token = token_client(_moderator())._credentials["HTTP_X_SESSION_TOKEN"]
    models = [AIModelFactory() for _ in range(3)]
    pending = {m.pk: [_pending(m, 1 + i % 5) for i in range(9)] for m in models}

    # when three threads per model verify three reviews each and hide one, over HTTP
    def work(reviews: list[Review]) -> Callable[[], list[int]]:
        def run() -> list[int]:
            client = APIClient()
            client.credentials(HTTP_X_SESSION_TOKEN=token)
            statuses = [
                client.post(moderation_url(r.public_id, "verify"), {}, format="json").status_code
                for r in reviews
            ]
            hide = {"reason": "spam"}
            url = moderation_url(reviews[0].public_id, "hide")
            return [*statuses, client.post(url, hide, format="json").status_code]

        return run

    jobs = [work(pending[m.pk][i : i + 3]) for m in models for i in (0, 3, 6)]
    assert _in_threads(jobs) == [[200] * 4] * 9

    # then once the queue drains, every summary equals a recompute: 9 verified - 3 hidden
    wait_for(lambda: _drained(models), timeout=30)
    _check_passes()
    assert [ModelRating.objects.get(pk=m.pk).review_count for m in models] == [6, 6, 6]
