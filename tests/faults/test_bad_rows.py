"""Bad rows are isolated: the database refuses out-of-range values, and a model whose data
cannot be recomputed anyway (forced in past the constraint) fails alone."""

import datetime as dt
import io
import logging

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from reviews.models import ModelRating, ModelRatingState, Review
from reviews.ratings import rating_recompute, ratings_rebuild
from reviews.tasks import rating_refresh_task
from tests.conftest import make_user
from tests.factories import AIModelFactory
from tests.reviews.conftest import BODY

pytestmark = pytest.mark.faults

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _published(model, rating: int = 4, **fields) -> Review:
    return Review.objects.create(
        author=make_user(), model=model, rating=rating, title="t", body=BODY,
        model_version="v1", status="published", published_at=dt.datetime.now(dt.UTC), **fields,
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("published_at", FAR_FUTURE),
        ("published_at", dt.datetime(1900, 1, 1, tzinfo=dt.UTC)),
        ("rating", 6),
        ("quality", 0),
        ("usage_months", 601),
    ],
)
def test_the_database_refuses_out_of_range_review_values(field, value):
    review = _published(AIModelFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(**{field: value})


@pytest.mark.django_db
def test_the_database_refuses_a_nan_or_out_of_range_score():
    model = AIModelFactory()
    for value in (float("nan"), 5.5, 0.0):
        with pytest.raises(IntegrityError), transaction.atomic():
            ModelRating.objects.create(model=model, average=value)


def _poison(review: Review) -> None:
    """Force a far-future date in past the constraint (dropped inside the test's
    transaction, so it is back for every other test)."""
    table = Review._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "review_published_at_in_range"')
    Review.objects.filter(pk=review.pk).update(published_at=FAR_FUTURE)


@pytest.fixture
def poisoned(db):
    """Two healthy models and one whose review overflows its recency weight."""
    healthy = [AIModelFactory(), AIModelFactory()]
    for model in healthy:
        _published(model, 5)
        _published(model, 3)
    bad = AIModelFactory()
    _published(bad, 4)
    _poison(_published(bad, 2))
    return healthy, bad


def test_a_poisoned_model_fails_alone_in_the_full_rebuild(poisoned, caplog):
    healthy, bad = poisoned
    with caplog.at_level(logging.WARNING, logger="reviews.ratings.store"):
        report = ratings_rebuild()
        ratings_rebuild()  # the same failure again: logged once, not at every retry

    assert list(report.failed) == [bad.pk]
    assert "out of range" in report.failed[bad.pk]
    for model in healthy:
        rating = ModelRating.objects.get(pk=model.pk)
        assert (rating.review_count, rating.average) == (2, 4.0)
    state = ModelRatingState.objects.get(pk=bad.pk)
    assert state.stale and state.failed_at is not None and "out of range" in state.last_error
    assert ModelRating.objects.get(pk=bad.pk).review_count == 0  # never stored
    failures = [r for r in caplog.records if "not recomputed" in r.getMessage()]
    assert len(failures) == 1 and str(bad.pk) in failures[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)


def test_the_daily_refresh_and_one_model_recompute_survive_a_poisoned_model(poisoned):
    healthy, bad = poisoned
    rating_refresh_task.run()  # the daily refresh, as the worker runs it
    assert ModelRating.objects.get(pk=healthy[0].pk).review_count == 2
    assert rating_recompute(bad.pk) is False
    assert rating_recompute(healthy[1].pk) is True


def test_check_names_the_failed_model_and_still_checks_the_others(poisoned):
    healthy, bad = poisoned
    ratings_rebuild()
    ModelRating.objects.filter(pk=healthy[1].pk).update(review_count=7)  # a wrong summary

    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("recompute_ratings", "--check", stdout=out)

    assert exit_.value.code == 1
    lines = out.getvalue().splitlines()
    assert f"{bad.slug}: failed: DataError: value out of range: overflow" in lines
    assert f"{healthy[1].slug}: differs in review_count" in lines
    assert not any(line.startswith(f"{healthy[0].slug}:") for line in lines)


def test_the_rebuild_command_stores_the_others_and_exits_1_naming_the_failed(poisoned):
    healthy, bad = poisoned
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("recompute_ratings", stdout=out, stderr=io.StringIO())
    assert exit_.value.code == 1
    assert f"{bad.slug}: failed:" in out.getvalue()
    assert ModelRating.objects.get(pk=healthy[0].pk).review_count == 2


def test_a_fixed_model_recomputes_and_its_failure_is_cleared(poisoned):
    _, bad = poisoned
    ratings_rebuild()
    Review.objects.filter(model=bad, published_at=FAR_FUTURE).update(status="hidden")
    assert rating_recompute(bad.pk) is True
    state = ModelRatingState.objects.get(pk=bad.pk)
    assert (state.last_error, state.failed_at, state.stale) == ("", None, False)
