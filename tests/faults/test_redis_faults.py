"""Redis faults injected for real on the test's own Redis server (cache and broker of this
process, and of a real worker started here): frozen, stopped then started, out of memory.
Every request stays within its Redis budget and answers correctly; ratings end exact."""

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.management import call_command
from django.db import connection

from accounts.services import moderator_grant
from config.celery import app as celery_app
from events.services import delivery_sweep
from reviews.models import ModelRating, ModelRatingState, ModerationEvent, Review
from reviews.ratings import rating_recompute, rating_sweep
from reviews.services import ReviewDraft, review_create, review_verify
from reviews.tasks import rating_recompute_task
from tests.accounts.conftest import database_url_for_subprocess, wait_for
from tests.conftest import PROJECT_DIR, make_user, token_client
from tests.factories import AIModelFactory
from tests.faults.conftest import RedisProcess, Stopwatch
from tests.reviews.conftest import BODY, moderation_url

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]
BOUND = 1.5  # seconds: a generous bound on any request during a fault (budget: ~1 s)


def _moderator() -> Any:
    user = make_user()
    moderator_grant(user=user)
    return user


def _pending(model: Any, rating: int = 4) -> Review:
    draft = ReviewDraft(rating=rating, title="t", body=BODY)
    return review_create(author=make_user(), model=model, draft=draft)


def _verify(client: Any, review: Review) -> Any:
    return client.post(moderation_url(review.public_id, "verify"), {}, format="json")


def _rating_url(model: Any) -> str:
    return f"/api/v1/models/{model.slug}/rating/"


def _exact(model: Any, count: int) -> bool:
    row = ModelRating.objects.filter(pk=model.pk).first()
    if row is None or row.review_count != count:
        return False
    try:
        call_command("recompute_ratings", "--check", "--model", model.slug, stdout=_Null())
    except SystemExit:
        return False
    return True


class _Null:
    def write(self, text: str) -> None:
        pass


def test_with_redis_frozen_verify_and_rating_reads_answer_within_the_budget(
    on_own_redis, settings, caplog, figures
):
    # given a model with a stored rating (1 review), 3 pending reviews, and a warm cache
    settings.REDIS_CIRCUIT_OPEN_SECONDS = 2
    moderator, model = _moderator(), AIModelFactory()
    review_verify(review=_pending(model, 5), moderator=moderator)
    rating_recompute(model.pk)
    pending = [_pending(model) for _ in range(3)]
    client = token_client(moderator)
    assert client.get(_rating_url(model)).json()["review_count"] == 1

    # when Redis freezes (SIGSTOP: connections accepted, nothing answered)
    watch = Stopwatch()
    on_own_redis.freeze()
    try:
        with caplog.at_level(logging.WARNING):
            for review in pending:
                with watch.time():
                    verified = client.post(
                        moderation_url(review.public_id, "verify"), {}, format="json"
                    )
                with watch.time():
                    rating = client.get(_rating_url(model))
                # then each answers correctly: published; the stored summary (from the db)
                assert (verified.status_code, verified.json()["status"]) == (200, "published")
                assert (rating.status_code, rating.json()["review_count"]) == (200, 1)
            # a review written meanwhile: its account throttle (a Lua script) is skipped too
            writer = token_client(make_user())
            with watch.time():
                created = writer.post(
                    f"/api/v1/models/{model.slug}/reviews/",
                    {"stars": 4, "title": "t", "body": BODY}, format="json",
                )  # fmt: skip
            assert (created.status_code, created.json()["status"]) == (201, "pending")
            time.sleep(2.1)  # the circuit's open period is over: the next call is a probe
            with watch.time():
                assert client.get(_rating_url(model)).status_code == 200
    finally:
        on_own_redis.thaw()
    # and once Redis answers again, the next probe closes the circuit
    time.sleep(2.1)
    with caplog.at_level(logging.WARNING):
        assert client.get(_rating_url(model)).status_code == 200

    # then every request stayed within the bound, the changes are marked for the sweep,
    # and the outage logged two lines (open, close with a count), no traceback
    print(f"\nlatencies with Redis frozen: {[round(t, 3) for t in watch.times]}")
    assert watch.worst < BOUND, watch.times
    assert ModelRatingState.objects.get(pk=model.pk).stale
    messages = [r.getMessage() for r in caplog.records if r.name == "config.redis_health"]
    assert len([m for m in messages if "circuit open" in m]) == 1, messages
    assert len([m for m in messages if "reachable again" in m]) == 1, messages
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    figures["redis_frozen"] = {
        "requests": len(watch.times),
        "max_latency_s": round(watch.worst, 3),
        "warnings_logged": len(messages),
        "first_request_s": round(watch.times[0], 3),
    }


@pytest.mark.worker
def test_with_redis_stopped_then_started_no_mail_is_lost_and_ratings_are_exact(
    on_own_redis, settings, figures
):
    # given three models with pending reviews, and a real worker on the test's Redis
    settings.REDIS_CIRCUIT_OPEN_SECONDS = 1
    settings.RATING_STALE_SWEEP_AFTER = 0
    settings.OUTBOX_SWEEP_AFTER = 0
    moderator = _moderator()
    models = [AIModelFactory() for _ in range(3)]
    pending = [_pending(model, 2 + i) for i, model in enumerate(models) for _ in range(2)]
    authors = {review.author.email for review in pending}
    client = token_client(moderator)
    watch = Stopwatch()
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False,
        queues=["ratings", "mail", "maintenance"],
    ):  # fmt: skip
        # when Redis stops (killed) and moderators keep verifying
        on_own_redis.stop()
        for review in pending:
            with watch.time():
                response = _verify(client, review)
            assert response.status_code == 200
        reads = [client.get(_rating_url(model)) for model in models]
        assert all(read.status_code == 200 for read in reads)

        # and Redis comes back, empty (every message published before is gone)
        on_own_redis.start()
        back = time.monotonic()
        sweeps = 0

        def mailed() -> set[str]:
            return {to for message in mail.outbox for to in message.to} & authors

        def recovered() -> bool:
            nonlocal sweeps
            if mailed() == authors and all(_exact(model, 2) for model in models):
                return True
            if sweeps < (time.monotonic() - back):  # a sweep a second, as a fast beat would
                sweeps += 1
                rating_sweep()
                delivery_sweep()
            return False

        wait_for(recovered, timeout=60)
        to_exact = time.monotonic() - back

    # then every author got their outcome mail (none lost) and every rating is exact
    lost = len(authors - mailed())
    print(f"\nverify with Redis stopped: worst {watch.worst:.3f} s; all mail and ratings "
          f"{to_exact:.1f} s after; {lost} mail lost")  # fmt: skip
    assert watch.worst < BOUND, watch.times
    assert lost == 0
    figures["redis_stopped"] = {
        "verifies": len(watch.times),
        "max_latency_s": round(watch.worst, 3),
        "outcome_mails_lost": lost,
        "seconds_to_exact_and_mailed_after_restart": round(to_exact, 1),
        "sweeps_called": sweeps,
    }


def _oom_errors(server: RedisProcess) -> int:
    return int(server.client().info("errorstats").get("errorstat_OOM", {}).get("count", 0))


def _fill(server: RedisProcess) -> None:
    """Redis out of memory: no eviction, filled until it refuses writes, then the limit set
    well below what it holds, so that freeing a client's buffers cannot end the fault."""
    filler = server.client(db=2)
    filler.config_set("maxmemory-policy", "noeviction")
    filler.config_set("maxmemory", str(filler.info("memory")["used_memory"] + 200_000))
    for index in range(1000):
        try:
            filler.set(f"filler:{index}", b"x" * 50_000)
        except redis.exceptions.OutOfMemoryError:
            used = filler.info("memory")["used_memory"]
            filler.config_set("maxmemory", str(used - 150_000))
            return
    raise AssertionError("Redis never refused a write")


@contextmanager
def _production_worker(server: RedisProcess, log: Path) -> Iterator[subprocess.Popen]:
    """`celery worker` as the Procfile runs it (prefork, its own process), on the test's
    Redis and database. The in-process test worker does not meet OOM the same way: the
    prefork consumer keeps fetching (and bookkeeping unacked messages) while a child works."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "CACHE_URL": server.url(0, "rediscache"),
        "CELERY_BROKER_URL": server.url(1),
    }
    command = [
        str(Path(sys.executable).parent / "celery"), "-A", "config", "worker",
        "-Q", "ratings,maintenance", "--concurrency", "1", "--loglevel", "INFO",
    ]  # fmt: skip
    worker = subprocess.Popen(  # noqa: S603
        command, cwd=PROJECT_DIR, env=environment, stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: "ready." in log.read_text(), timeout=60)
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


# Messages queued before the fault: at ~150 no-ops a second, several seconds of work.
NO_OP_BACKLOG = 1000


@pytest.mark.worker
def test_with_redis_out_of_memory_the_worker_survives_and_recomputes_once_freed(
    on_own_redis, settings, figures, tmp_path
):
    # given a production worker (prefork) busy with a long queue of recomputes
    settings.REDIS_CIRCUIT_OPEN_SECONDS = 1
    settings.RATING_STALE_SWEEP_AFTER = 0
    moderator, model = _moderator(), AIModelFactory()
    review, during = _pending(model, 3), _pending(model, 5)
    log = tmp_path / "worker.log"
    with _production_worker(on_own_redis, log) as worker:
        # Quick no-ops (models that do not exist), enough that the worker is still fetching
        # when the fault lands: 300 once drained before it on a loaded CI machine (the
        # worker then idles in BRPOP, which Redis allows out of memory, and meets nothing).
        for missing in range(NO_OP_BACKLOG):
            rating_recompute_task.apply_async((10**9 + missing,))
        review_verify(review=review, moderator=moderator)

        # when Redis runs out of memory while the worker fetches and acknowledges
        _fill(on_own_redis)
        backlog = on_own_redis.client(db=1).llen("ratings")
        assert backlog > 0, "the worker drained its queue before the fault: raise NO_OP_BACKLOG"
        before = _oom_errors(on_own_redis)
        review_verify(review=during, moderator=moderator)  # its publish is refused
        try:
            wait_for(lambda: "Connection to broker lost" in log.read_text(), timeout=30)
        except AssertionError:
            raise AssertionError(
                f"the worker never met the fault ({backlog} messages queued at it); its log:\n"
                + log.read_text()[-3000:]
            ) from None
        time.sleep(2)
        during_fault = _oom_errors(on_own_redis) - before
        assert worker.poll() is None, "the worker ended:\n" + log.read_text()[-3000:]

        # and memory is freed again
        freed = time.monotonic()
        on_own_redis.client(db=2).flushdb()
        on_own_redis.client().config_set("maxmemory", "0")
        sweeps = 0

        def exact() -> bool:
            nonlocal sweeps
            if _exact(model, 2):
                return True
            if sweeps < (time.monotonic() - freed) / 2:  # a sweep every 2 s
                sweeps += 1
                rating_sweep()
            return False

        # then the same worker process recomputes: the rating is exact, nobody restarted it
        wait_for(exact, timeout=150)  # the backlog first: ~25 s on a loaded 2-core box
        to_exact = time.monotonic() - freed
        assert worker.poll() is None

    print(f"\n{during_fault} OOM answers during the fault ({backlog} messages queued); exact "
          f"{to_exact:.1f} s after freeing")  # fmt: skip
    figures["redis_out_of_memory"] = {
        "oom_answers_during_fault": during_fault,
        "messages_queued_at_the_fault": backlog,
        "worker_survived": True,
        "seconds_to_exact_after_freeing": round(to_exact, 1),
        "sweeps_called": sweeps,
    }


def test_two_identical_verify_requests_at_once_both_answer_200_with_one_audit_event(
    on_own_redis, figures
):
    moderator, model = _moderator(), AIModelFactory()
    review = _pending(model)
    clients = [token_client(moderator), token_client(moderator)]
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def verify(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = clients[index].post(
                moderation_url(review.public_id, "verify"), {}, format="json"
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=verify, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert ModerationEvent.objects.filter(review=review, action="verify").count() == 1
    figures["duplicate_verify"] = {"answers": [200, 200], "audit_events": 1}
