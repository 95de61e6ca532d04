"""The stored summary: hand-worked values, what counts, versions, the conditional write, the
stale mark, and `recompute_ratings` (rebuild, --model, --check)."""

import datetime as dt
import io
import math

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reviews.models import ModelRating, ModelRatingState, RatingPrior
from reviews.ratings import (
    rating_mark_stale,
    rating_recompute,
    ratings_check,
    ratings_compute,
    ratings_rebuild,
    ratings_store,
)
from tests.conftest import make_user
from tests.factories import AIModelFactory, ReviewFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _published(model, rating: int, **fields):
    fields.setdefault("published_at", NOW)
    return ReviewFactory(model=model, rating=rating, published=True, **fields)


@pytest.fixture
def prior():
    """A fixed prior mean (as if the daily refresh had stored it), so numbers are by hand."""
    return RatingPrior.objects.create(pk=1, mean=3.5, review_count=100, computed_at=NOW)


@pytest.fixture
def rated_model(prior):
    """Three counted reviews, and one of every kind that must not count."""
    model = AIModelFactory()
    _published(model, 5, model_version="v1", quality=4, usage_verified=True)
    _published(model, 4, model_version="v1", quality=2, speed=5, published_at=NOW - 365 * DAY)
    _published(model, 2, model_version="v2", published_at=NOW - 730 * DAY)
    # not counted: a disclosed conflict of interest, and every unpublished state
    _published(model, 1, model_version="v1", conflict_of_interest=True)
    for status in ("pending", "hidden", "withdrawn", "rejected"):
        ReviewFactory(model=model, rating=1, status=status, model_version="v1")
    _published(AIModelFactory(), 1)  # another model's review
    return model


def test_summary_matches_hand_worked_values(rated_model):
    # when the summary is computed at a fixed time
    [computation] = ratings_compute([rated_model.pk], now=NOW)
    values = computation.values

    # then counts are exact (only the three counted reviews) and scores are the formulas'
    assert values["review_count"] == 3
    assert values["rating_sum"] == 11
    assert values["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert values["usage_verified_count"] == 1
    assert values["average"] == pytest.approx(11 / 3)
    # (C·m + Σr) / (C + n) = (7·3.5 + 11) / 10
    assert values["bayesian_average"] == pytest.approx(3.55)
    # Dirichlet: N = 8, p = (1, 2, 1, 2, 2) / 8, S = 3.25, E[s²] = 12.5, var = 1.9375
    assert values["lower_bound"] == pytest.approx(3.25 - 1.65 * math.sqrt(1.9375 / 9))
    assert values["lower_bound"] == pytest.approx(2.484432, abs=1e-6)
    # weights 1, 0.5, 0.25 (ages 0, 1 and 2 half-lives): (24.5 + 5 + 2 + 0.5) / (7 + 1.75)
    assert values["recent_score"] == pytest.approx(32 / 8.75, rel=1e-9)
    assert values["sub_ratings"]["quality"] == {"average": 3.0, "count": 2}
    assert values["sub_ratings"]["speed"] == {"average": 5.0, "count": 1}
    assert values["sub_ratings"]["value"] == {"average": None, "count": 0}
    assert values["method_version"] == "1"


def test_versions_have_their_own_summaries(rated_model):
    [computation] = ratings_compute([rated_model.pk], now=NOW)
    v1, v2 = computation.values["versions"]
    assert (v1["model_version"], v1["review_count"], v1["average"]) == ("v1", 2, 4.5)
    assert v1["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    assert v1["bayesian_average"] == pytest.approx((24.5 + 9) / 9)
    assert v1["usage_verified_count"] == 1
    assert (v2["model_version"], v2["review_count"], v2["average"]) == ("v2", 1, 2.0)
    assert v2["bayesian_average"] == pytest.approx((24.5 + 2) / 8)
    assert v2["sub_ratings"]["quality"] == {"average": None, "count": 0}


def test_a_model_without_counted_reviews_has_counts_and_no_scores(prior):
    model = AIModelFactory()
    _published(model, 5, conflict_of_interest=True)
    [computation] = ratings_compute([model.pk], now=NOW)
    values = computation.values
    assert values["review_count"] == 0
    assert values["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
    assert [values[name] for name in ("average", "bayesian_average", "lower_bound")] == [None] * 3
    assert values["recent_score"] is None
    assert values["versions"] == []


def _stored(model) -> dict:
    """The stored summary but the recent scores, which decay with the time of computing."""
    row = ModelRating.objects.get(pk=model.pk)
    return {
        "review_count": row.review_count, "average": row.average,
        "bayesian_average": row.bayesian_average, "lower_bound": row.lower_bound,
        "distribution": row.distribution, "sub_ratings": row.sub_ratings,
        "versions": [{**v, "recent_score": None} for v in row.versions],
        "computed_seq": row.computed_seq,
    }  # fmt: skip


def test_recompute_twice_stores_the_same_summary(rated_model):
    rating_mark_stale(rated_model.pk)
    assert rating_recompute(rated_model.pk) is True
    first = _stored(rated_model)
    assert rating_recompute(rated_model.pk) is True
    assert _stored(rated_model) == first
    row = ModelRating.objects.get(pk=rated_model.pk)
    assert row.recompute_count == 2
    assert row.recent_score == pytest.approx(
        ratings_compute([rated_model.pk])[0].values["recent_score"], rel=1e-6
    )


def test_an_older_computation_is_refused_and_the_newer_summary_stays(rated_model):
    # given a computation that saw change 1
    rating_mark_stale(rated_model.pk)
    older = ratings_compute([rated_model.pk])
    assert older[0].seq == 1

    # when a newer change commits and its recompute is stored first
    _published(rated_model, 1, model_version="v2")
    rating_mark_stale(rated_model.pk)
    assert rating_recompute(rated_model.pk) is True

    # then storing the older computation afterwards is refused: the newer one stays
    assert ratings_store(older) == []
    assert _stored(rated_model)["review_count"] == 4
    assert _stored(rated_model)["computed_seq"] == 2


def test_a_change_during_the_recompute_keeps_the_model_stale(rated_model):
    # given a computation that saw change 1
    rating_mark_stale(rated_model.pk)
    computation = ratings_compute([rated_model.pk])

    # when a change arrives before it is stored
    rating_mark_stale(rated_model.pk)
    assert ratings_store(computation) == [rated_model.pk]

    # then it is stored (it is newer than nothing) but the mark stays for change 2
    state = ModelRatingState.objects.get(pk=rated_model.pk)
    assert (state.stale, state.change_seq) == (True, 2)
    rating_recompute(rated_model.pk)
    state.refresh_from_db()
    assert (state.stale, state.stale_since) == (False, None)


def test_recompute_of_a_missing_model_stores_nothing():
    assert rating_recompute(10**9) is False


def test_first_recompute_creates_the_prior_from_the_site_mean():
    model = AIModelFactory()
    _published(model, 5)
    _published(AIModelFactory(), 2)
    rating_recompute(model.pk)
    assert RatingPrior.objects.get().mean == pytest.approx(3.5)


def test_full_rebuild_refreshes_the_prior_and_writes_every_model(rated_model):
    unreviewed = AIModelFactory()
    report = ratings_rebuild()
    # counted reviews of every model: 5, 4, 2 and the other model's 1
    assert RatingPrior.objects.get().mean == pytest.approx(12 / 4)
    assert report.models == ModelRating.objects.count() >= 3
    assert ModelRating.objects.get(pk=unreviewed.pk).review_count == 0
    assert ModelRating.objects.get(pk=rated_model.pk).bayesian_average == pytest.approx(
        (7 * 3 + 11) / 10
    )


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("recompute_ratings", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_recompute_ratings_then_check_passes(rated_model):
    assert "Recomputed" in _command()
    assert "Every stored summary matches" in _command("--check")
    assert ratings_check() == []


def test_check_lists_a_tampered_summary_and_exits_1(rated_model):
    # given stored summaries, one of them wrong
    _command()
    ModelRating.objects.filter(pk=rated_model.pk).update(review_count=99, average=1.0)

    # when checking, then it names the model and the fields, and exits 1
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("recompute_ratings", "--check", stdout=out)
    assert exit_info.value.code == 1
    assert f"{rated_model.slug}: differs in review_count, average" in out.getvalue()


def test_check_flags_a_model_with_reviews_and_no_summary(rated_model):
    [difference] = ratings_check([rated_model.pk])
    assert difference.fields == ["missing"]


def test_recompute_ratings_for_one_model_leaves_the_others(rated_model):
    other = AIModelFactory()
    _published(other, 3)
    _command("--model", rated_model.slug)
    assert ModelRating.objects.filter(pk=rated_model.pk).exists()
    assert not ModelRating.objects.filter(pk=other.pk).exists()
    with pytest.raises(CommandError, match="No model"):
        _command("--model", "nobody/nothing")


def test_rebuild_clears_stale_marks_it_covered(rated_model):
    rating_mark_stale(rated_model.pk)
    ratings_rebuild()
    assert ModelRatingState.objects.get(pk=rated_model.pk).stale is False


def test_services_feed_the_summary(ai_model, create_review, publish, moderator):
    # given two reviews through the real services, one later hidden
    kept = publish(create_review(make_user(), rating=5))
    hidden = publish(create_review(make_user(), rating=1))
    from reviews.services import review_hide

    review_hide(review=hidden, moderator=moderator.user, reason="spam")

    # when the model is recomputed
    rating_recompute(ai_model.pk)

    # then only the visible review counts, under the version the review named
    row = ModelRating.objects.get(pk=ai_model.pk)
    assert (row.review_count, row.average) == (1, 5.0)
    assert [v["model_version"] for v in row.versions] == [kept.model_version]
