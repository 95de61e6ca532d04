"""The running rating sums (reviews.ratings.sums): kept exact by the database trigger through
every kind of write, checked against the full scan, repaired when tampered with.

PostgreSQL only (the trigger); on SQLite the pipeline scans and these tests are skipped.
"""

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from reviews.models import (
    ModelRating,
    ModelRatingState,
    ModelRatingSums,
    RatingSumsDelta,
    Review,
    ReviewStatus,
)
from reviews.ratings import (
    rating_recompute,
    rating_sums_check,
    rating_sums_rebuild,
    rating_sums_verify,
    ratings_check,
    ratings_rebuild,
)
from reviews.ratings.summary import _aggregates, model_totals, scanned_rows
from reviews.ratings.sums import SUMS, sums_compare, sums_enabled, sums_rows
from reviews.services import (
    review_erase_for_author,
    review_hide,
    review_mark_usage_verified,
    review_restore,
    review_update,
    review_withdraw,
)
from tests.conftest import make_user
from tests.factories import AIModelFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="running sums are a PostgreSQL feature"
)
USE_CASE_SETS: tuple[list[str], ...] = (
    [],
    ["coding"],
    ["coding", "chat"],
    ["agents"],
    ["vision", "research", "other"],
)
VERSIONS = ("v1", "v2", "v3")


@pytest.fixture
def sums_on(db: None) -> None:
    """Sums built and maintained (a transactional test's flush empties the state row)."""
    rating_sums_rebuild()
    assert sums_enabled(_half_life())


def _half_life() -> float:
    from reviews.ratings.summary import rating_params

    return rating_params().half_life_days


def assert_exact(model_ids: list[int] | None = None, where: str = "") -> None:
    """The running sums (folded or not) equal the grouped scan of the counted reviews."""
    running, scanned = sums_rows(model_ids, drop_empty=False), scanned_rows(model_ids)
    assert sums_compare(running, scanned) == [], where
    assert rating_sums_check(model_ids).ok


def test_sums_columns_are_the_grouped_query_aggregates():
    assert list(_aggregates(180.0)) == list(SUMS)


def _random_review(rng: random.Random, model: Any) -> Any:
    status = rng.choice(list(ReviewStatus.values))
    published = status in (ReviewStatus.PUBLISHED, ReviewStatus.HIDDEN) or rng.random() < 0.3
    return ReviewFactory(
        model=model,
        status=status,
        rating=rng.randint(1, 5),
        **{name: rng.choice([None, 1, 2, 3, 4, 5]) for name in ("quality", "speed", "value")},
        use_cases=rng.choice(USE_CASE_SETS),
        model_version=rng.choice(VERSIONS),
        usage_verified=rng.random() < 0.3,
        conflict_of_interest=rng.random() < 0.15,
        rating_held=rng.random() < 0.15,
        flagged_at=dt.datetime.now(dt.UTC) if rng.random() < 0.3 else None,
        published_at=(
            dt.datetime(2021, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randint(0, 2000))
            if published
            else None
        ),
    )


def _random_change(rng: random.Random) -> dict[str, Any]:
    """One column change that can move a review into or out of the counted set, or change
    what it contributes."""
    name = rng.choice(
        ["status", "rating", "quality", "use_cases", "model_version", "usage_verified",
         "conflict_of_interest", "rating_held", "flagged_at", "published_at", "title"]
    )  # fmt: skip
    value = {
        "status": lambda: rng.choice(list(ReviewStatus.values)),
        "rating": lambda: rng.randint(1, 5),
        "quality": lambda: rng.choice([None, 1, 5]),
        "use_cases": lambda: rng.choice(USE_CASE_SETS),
        "model_version": lambda: rng.choice(VERSIONS),
        "usage_verified": lambda: rng.random() < 0.5,
        "conflict_of_interest": lambda: rng.random() < 0.5,
        "rating_held": lambda: rng.random() < 0.5,
        "flagged_at": lambda: rng.choice([None, dt.datetime.now(dt.UTC)]),
        "published_at": lambda: (
            dt.datetime(2020, 6, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randint(0, 2500))
        ),
        "title": lambda: f"Title {rng.random()}",
    }[name]()
    return {name: value}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_writes_keep_the_sums_equal_to_a_full_scan(sums_on, seed):
    # given two models with reviews in every state
    rng = random.Random(seed)
    models = [AIModelFactory(), AIModelFactory()]
    reviews = [_random_review(rng, rng.choice(models)) for _ in range(30)]
    assert_exact()
    # when random writes of every kind happen: save(), bulk .update(), create, delete
    for step in range(60):
        kind = rng.choice(["save", "save", "update", "create", "delete", "fold", "recompute"])
        if kind == "save" and reviews:
            review = rng.choice(reviews)
            for name, value in _random_change(rng).items():
                setattr(review, name, value)
            review.save()
        elif kind == "update":
            ids = [r.pk for r in rng.sample(reviews, min(len(reviews), rng.randint(1, 8)))]
            Review.objects.filter(pk__in=ids).update(**_random_change(rng))
            reviews = list(Review.objects.filter(pk__in=[r.pk for r in reviews]))
        elif kind == "create":
            reviews.append(_random_review(rng, rng.choice(models)))
        elif kind == "delete" and reviews:
            review = reviews.pop(rng.randrange(len(reviews)))
            review.events.all().delete()
            review.delete()
        elif kind == "recompute":
            rating_recompute(rng.choice(models).pk)  # folds that model's deltas
        else:
            ratings_rebuild([m.pk for m in models])
        # then the sums equal what a full recompute reads, after every single write
        assert_exact(where=f"seed {seed}, step {step}: {kind}")
    # and the stored summaries computed from the sums agree with a scan's
    ratings_rebuild([m.pk for m in models])
    assert ratings_check([m.pk for m in models]) == []


def test_service_transitions_move_the_sums_as_a_recompute_would(
    sums_on, create_review, publish, moderator, ai_model
):
    # given two authors' reviews through the services
    first, second = make_user(), make_user()
    review = create_review(first, rating=5, use_cases=["coding"], quality=4)
    other = create_review(second, rating=2, use_cases=["chat", "agents"], speed=3)
    assert_exact()
    edit = {"rating": 1, "use_cases": ["vision"]}
    mod = moderator.user

    def fresh() -> Any:
        return Review.objects.get(pk=review.pk)

    ours = Review.objects.filter(model=ai_model)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("verify", lambda: publish(review)),
        ("verify other", lambda: publish(other)),
        ("usage verified", lambda: review_mark_usage_verified(review=fresh(), moderator=mod)),
        ("edit", lambda: review_update(review=fresh(), author=first, changes=edit)),
        ("accept edit", lambda: publish(fresh())),
        ("hide", lambda: review_hide(review=fresh(), moderator=mod, reason="spam")),
        ("restore", lambda: review_restore(review=fresh(), moderator=mod)),
        ("conflict flag", lambda: ours.filter(pk=other.pk).update(conflict_of_interest=True)),
        ("surge hold", lambda: ours.update(rating_held=True)),
        ("surge release", lambda: ours.update(rating_held=False)),
        ("withdraw", lambda: review_withdraw(review=fresh(), author=first)),
        ("erasure", lambda: review_erase_for_author(author_id=second.pk)),
    ]
    counts = []
    for name, step in steps:
        step()
        assert_exact(where=name)
        counts.append(sum(row[3] for row in sums_rows([ai_model.pk])))
    # the transitions did move reviews in and out of the counted set
    assert counts == [1, 2, 2, 2, 2, 1, 2, 1, 0, 1, 0, 0]


def test_a_bulk_update_is_caught_and_the_recompute_reads_only_the_sums(sums_on, ai_model):
    # given ten counted 5-star reviews, summarised
    for _ in range(10):
        ReviewFactory(model=ai_model, published=True, rating=5)
    rating_recompute(ai_model.pk)
    assert ModelRating.objects.get(pk=ai_model.pk).average == 5
    # when a bulk .update() (no signal, no service) changes every rating
    Review.objects.filter(model=ai_model).update(rating=1)
    # then the sums saw it, and a recompute reads them without touching the reviews table
    assert_exact()
    with CaptureQueriesContext(connection) as queries:
        rating_recompute(ai_model.pk)
    assert ModelRating.objects.get(pk=ai_model.pk).average == 1
    assert not [q["sql"] for q in queries if 'FROM "reviews_review"' in q["sql"]]
    assert not RatingSumsDelta.objects.filter(model=ai_model).exists()  # folded
    assert ratings_check([ai_model.pk]) == []


def test_a_truncate_of_the_reviews_empties_the_sums(sums_on, ai_model):
    ReviewFactory(model=ai_model, published=True, rating=4)
    assert sums_rows([ai_model.pk])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the factories' deferred FK checks
        cursor.execute("TRUNCATE reviews_review CASCADE")
    assert sums_rows(None, drop_empty=False) == []
    assert_exact()


def test_check_fails_on_a_tampered_row_and_the_verify_repairs_it(sums_on, ai_model, capsys, caplog):
    # given correct sums and summary
    for rating in (1, 4, 5):
        ReviewFactory(model=ai_model, published=True, rating=rating, use_cases=["coding"])
    rating_recompute(ai_model.pk)
    call_command("recompute_ratings", "--check")
    assert "The running rating sums match the reviews." in capsys.readouterr().out
    # when a sums row is tampered with
    ModelRatingSums.objects.filter(model=ai_model).update(
        star_5=F("star_5") + 1, total=F("total") + 5
    )
    # then --check reports the group and fails
    with pytest.raises(SystemExit) as exit_:
        call_command("recompute_ratings", "--check")
    assert exit_.value.code == 1
    assert "running sums differ in total, star_5" in capsys.readouterr().out
    # and the periodic verify logs it loudly, repairs it, and marks the rating stale
    ModelRatingState.objects.filter(pk=ai_model.pk).update(stale=False)
    with caplog.at_level(logging.ERROR, logger="reviews.ratings.sums_check"):
        report = rating_sums_verify()
    assert [d.fields for d in report.differences] == [["total", "star_5"]]
    assert "rating sums drifted" in caplog.text
    assert rating_sums_check().ok
    assert ModelRatingState.objects.get(pk=ai_model.pk).stale


@pytest.mark.django_db(transaction=True)  # the verify's online rebuild commits model by model
def test_a_changed_half_life_falls_back_to_the_scan_until_rebuilt(sums_on, ai_model, settings):
    ReviewFactory(model=ai_model, published=True, rating=3)
    settings.RATING_HALF_LIFE_DAYS = _half_life() * 2
    # the sums were built with the old half-life: not used, and the check says so
    assert not sums_enabled(settings.RATING_HALF_LIFE_DAYS)
    assert "configured" in rating_sums_check().problem
    rating_recompute(ai_model.pk)
    assert ratings_check([ai_model.pk]) == []
    # the periodic verify rebuilds them for the new half-life
    rating_sums_verify()
    assert sums_enabled(settings.RATING_HALF_LIFE_DAYS)
    assert_exact()


def test_sums_and_scan_give_the_same_model_totals(sums_on):
    rng = random.Random(7)
    model = AIModelFactory()
    for _ in range(40):
        _random_review(rng, model)
    from_sums, from_scan = model_totals([model.pk]), model_totals([model.pk], scan=True)
    a, b = from_sums[model.pk], from_scan[model.pk]
    assert a.totals.count == b.totals.count > 0
    assert a.use_cases.keys() == b.use_cases.keys()
    assert {v: g.count for v, g in a.versions.items()} == {
        v: g.count for v, g in b.versions.items()
    }
    assert a.totals.weight_sum == pytest.approx(b.totals.weight_sum, rel=1e-12)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_one_model_leave_exact_sums():
    # given one hot model, sums built, and writers each with their own connection
    rating_sums_rebuild()
    model = AIModelFactory()
    authors = [UserFactory() for _ in range(8)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(authors) + 1)

    def writer(author: Any, seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            review: Any = ReviewFactory(
                model=model, author=author, published=True, use_cases=["coding"]
            )
            for _ in range(25):
                # all writers hit the same few (version, use-case) groups of one model
                change: dict[str, Any] = rng.choice(
                    [
                        {"rating": rng.randint(1, 5)},
                        {"status": rng.choice([ReviewStatus.PUBLISHED, ReviewStatus.PENDING])},
                        {"use_cases": rng.choice([["coding"], ["chat"]])},
                        {"usage_verified": rng.random() < 0.5},
                    ]
                )
                Review.objects.filter(pk=review.pk).update(**change)
            if seed % 2:
                review.delete()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def folder() -> None:
        try:
            barrier.wait()
            for _ in range(15):
                rating_recompute(model.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(a, i)) for i, a in enumerate(authors)]
    threads.append(threading.Thread(target=folder))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then no writer failed (no deadlock), and the sums are exact
    assert errors == []
    assert Review.objects.filter(model=model).count() == len(authors) // 2
    assert_exact()
    rating_recompute(model.pk)
    assert ratings_check([model.pk]) == []


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [pid]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


@pytest.mark.django_db(transaction=True)
def test_the_verify_rebuilds_changed_sums_while_reviews_are_written(settings, monkeypatch):
    # given three models with reviews, sums built, then the half-life changed: the daily
    # verify will rebuild every model's sums, one model per transaction here
    from reviews.ratings import sums_check

    rating_sums_rebuild()
    models = sorted(AIModelFactory.create_batch(3), key=lambda m: m.pk)
    for model in models:
        for rating in (2, 4, 5):
            ReviewFactory(model=model, published=True, rating=rating, use_cases=["coding"])
    settings.RATING_HALF_LIFE_DAYS = _half_life() * 2
    monkeypatch.setattr(sums_check, "REBUILD_BATCH", 1)
    errors: list[BaseException] = []
    reports: list[Any] = []
    held, release, verify_pid = threading.Event(), threading.Event(), []

    def holder() -> None:
        # a recompute of the middle model in flight: the rebuild waits for its row lock
        try:
            with transaction.atomic():
                list(ModelRating.objects.select_for_update().filter(pk=models[1].pk))
                held.set()
                release.wait(timeout=120)
        except BaseException as error:
            errors.append(error)
        finally:
            held.set()
            connection.close()

    def verifier() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                verify_pid.append(cursor.fetchone()[0])
            reports.append(rating_sums_verify())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    ModelRating.objects.get_or_create(model_id=models[1].pk)
    threads = [threading.Thread(target=holder)]
    threads[0].start()
    held.wait(timeout=60)
    threads.append(threading.Thread(target=verifier))
    threads[1].start()
    try:
        # when the verify is under way (switched, first model rebuilt, waiting on the second)
        while threads[1].is_alive() and not (verify_pid and _waiting_on_a_lock(verify_pid[0])):
            threads[1].join(timeout=0.05)
        assert threads[1].is_alive(), "the verify ended without waiting: not model by model"
        # then reviews of every model are written, updated and deleted meanwhile (a blocked
        # writer fails on its lock timeout instead of waiting for the verify)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '30s'")
        written = [
            ReviewFactory(model=model, published=True, rating=3, use_cases=["chat"])
            for model in models
        ]
        Review.objects.filter(pk=written[0].pk).update(rating=1)
        Review.objects.filter(model=models[2], rating=5).delete()
        assert threads[1].is_alive()  # the verify still waits: none of it waited for it
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=120)
    # and the verify reported the change of half-life, no drift, and left exact sums in use
    assert errors == []
    assert "configured" in reports[0].problem and reports[0].differences == []
    assert sums_enabled(settings.RATING_HALF_LIFE_DAYS)
    assert_exact()
    for model in models:
        rating_recompute(model.pk)
    assert ratings_check([model.pk for model in models]) == []


def test_a_row_beyond_a_doubles_range_fails_its_model_alone_and_cancels_when_fixed(
    sums_on, ai_model
):
    # given a review forced in past the date constraint (its weight overflows a double)
    healthy = AIModelFactory()
    ReviewFactory(model=healthy, published=True, rating=5)
    review: Any = ReviewFactory(model=ai_model, published=True, rating=2)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            'ALTER TABLE "reviews_review" DROP CONSTRAINT "review_published_at_in_range"'
        )
    far = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
    # when it is written, the write succeeds (the trigger never fails a write)
    Review.objects.filter(pk=review.pk).update(published_at=far)
    # then the check names that model as failed and still checks the other
    report = rating_sums_check()
    assert list(report.failed) == [ai_model.pk] and report.differences == []
    # and once the row is fixed, its huge weight cancels exactly
    Review.objects.filter(pk=review.pk).update(published_at=dt.datetime.now(dt.UTC))
    assert_exact()
