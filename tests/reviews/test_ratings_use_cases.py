"""Use-case ratings: the same summary over the counted reviews tagged with a use case, with a
use-case prior, stored with the model's summary (same writes, same refusals, same --check),
and ranks among models with enough such reviews (`ranks/`, compare)."""

import datetime as dt

import pytest
from django.test import TestCase
from django.urls import reverse

from reviews.models import USE_CASE_BITS, ModelRating, RatingPrior, Review, UseCase
from reviews.ratings import (
    rating_mark_stale,
    rating_recompute,
    ratings_check,
    ratings_compute,
    ratings_rebuild,
    ratings_store,
)
from reviews.ratings.summary import model_totals, site_use_case_means
from reviews.scoring import RatingInputs, summarise
from reviews.services import review_update
from tests.factories import AIModelFactory, ReviewFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def _published(model, rating: int, use_cases: list[str], **fields):
    return ReviewFactory(
        model=model, rating=rating, use_cases=use_cases, published=True, published_at=NOW,
        **fields,
    )  # fmt: skip


@pytest.fixture
def prior():
    return RatingPrior.objects.create(
        pk=1, mean=3.5, review_count=100, use_case_means={"coding": 4.0}, computed_at=NOW
    )


@pytest.fixture
def tagged_model(prior):
    model = AIModelFactory()
    _published(model, 5, ["coding", "agents"])
    _published(model, 3, ["coding"])
    _published(model, 4, ["chat"])
    _published(model, 1, ["coding"], conflict_of_interest=True)  # not counted
    ReviewFactory(model=model, rating=1, use_cases=["coding"], status="pending")  # not counted
    return model


def test_use_case_summaries_use_the_tagged_counted_reviews_and_the_use_case_prior(tagged_model):
    # when
    rating_recompute(tagged_model.pk)
    # then: coding 5 and 3, pulled toward m_coding = 4.0 by C = 7
    stored = ModelRating.objects.get(pk=tagged_model.pk).use_cases
    assert set(stored) == {"coding", "agents", "chat"}
    coding = stored["coding"]
    assert (coding["review_count"], coding["average"]) == (2, 4.0)
    assert coding["bayesian_average"] == pytest.approx((7 * 4.0 + 8) / 9)
    inputs = RatingInputs(count=2, total=8, distribution={1: 0, 2: 0, 3: 1, 4: 0, 5: 1},
                          weight_sum=1.0, weighted_total=1.0)  # fmt: skip
    expected = summarise(inputs, prior_mean=4.0, prior_weight=7.0, z=1.65, scale=1.0)
    assert coding["lower_bound"] == pytest.approx(expected["lower_bound"])
    # a use case without its own prior mean uses the site-wide one (3.5)
    assert stored["agents"]["bayesian_average"] == pytest.approx((7 * 3.5 + 5) / 8)


def test_rating_endpoint_serves_the_use_case_summaries(api_client, tagged_model):
    # given
    with TestCase.captureOnCommitCallbacks(execute=True):
        rating_recompute(tagged_model.pk)
    # when
    body = api_client.get(f"/api/v1/models/{tagged_model.slug}/rating/").json()
    # then
    assert list(body["use_cases"]) == ["agents", "chat", "coding"]
    assert set(body["use_cases"]["coding"]) == {
        "review_count", "average", "bayesian_average", "lower_bound",
    }  # fmt: skip
    assert body["use_cases"]["chat"]["review_count"] == 1


def test_an_older_computation_cannot_undo_newer_use_case_summaries(tagged_model):
    # given a computation that saw change 1
    rating_mark_stale(tagged_model.pk)
    older = ratings_compute([tagged_model.pk])
    # when a newer coding review commits and its recompute is stored first
    _published(tagged_model, 5, ["coding"])
    rating_mark_stale(tagged_model.pk)
    assert rating_recompute(tagged_model.pk) is True
    # then the older computation is refused and the newer use-case summary stays
    assert ratings_store(older) == []
    assert ModelRating.objects.get(pk=tagged_model.pk).use_cases["coding"]["review_count"] == 3


def test_check_flags_tampered_use_case_summaries(tagged_model):
    # given a stored, correct summary
    ratings_rebuild()
    assert ratings_check() == []
    # when a use-case summary is wrong
    row = ModelRating.objects.get(pk=tagged_model.pk)
    row.use_cases["coding"]["review_count"] = 99
    ModelRating.objects.filter(pk=row.pk).update(use_cases=row.use_cases)
    # then --check names it
    [difference] = ratings_check([tagged_model.pk])
    assert difference.fields == ["use_cases"]


def test_full_rebuild_refreshes_the_use_case_priors(tagged_model):
    # when
    ratings_rebuild()
    # then: m_coding = mean of every counted coding review (5, 3)
    means = RatingPrior.objects.get().use_case_means
    assert means == {"coding": 4.0, "agents": 5.0, "chat": 4.0}


def _rate(model, *ratings: int, use_case: str = "coding") -> None:
    for value in ratings:
        _published(model, value, [use_case])
    with TestCase.captureOnCommitCallbacks(execute=True):
        rating_recompute(model.pk)


def test_five_coding_reviews_of_two_models_give_both_coding_ratings_and_ranks(api_client, settings):
    # given: a and b have 5 coding reviews each; c only 4 (below the minimum: not ranked)
    settings.RATING_USE_CASE_MIN_REVIEWS = 5
    a, b, c = (AIModelFactory(slug=f"p/{key}") for key in "abc")
    _rate(a, 5, 5, 5, 4, 5)
    _rate(b, 4, 3, 4, 4, 3)
    _rate(c, 5, 5, 5, 5)

    def coding_rank(model) -> tuple[int, int] | None:
        url = reverse("catalog:model-ranks", kwargs={"provider": "p", "model": model.slug[2:]})
        ranks = api_client.get(url).json()["ranks"]
        found = [r for r in ranks if r["measure"] == "use_case_coding"]
        return (found[0]["rank"], found[0]["total"]) if found else None

    # then
    assert (coding_rank(a), coding_rank(b), coding_rank(c)) == ((1, 2), (2, 2), None)
    # and compare shows the use-case rating and rank side by side
    response = api_client.get(reverse("catalog:compare"), {"models": "p/b,p/a,p/c"})
    rows = {row["key"]: row for row in response.json()["rows"]}
    assert [cell["value"] for cell in rows["coding_rank"]["cells"]] == ["2", "1", None]
    assert [cell["better"] for cell in rows["coding_rank"]["cells"]] == [False, True, False]
    assert rows["coding_rank"]["unit"] == "of 2"
    assert rows["coding"]["cells"][2]["value"] is not None  # c has a rating, just no rank


def test_methodology_documents_use_case_ratings(api_client):
    body = api_client.get(reverse("ratings:methodology")).json()
    assert "use case" in body["formulas"]["use_cases"]
    assert body["use_case_min_reviews"] == 5


# --- The stored use-case mask (Review.use_case_mask) ------------------------------------


def _mask(review: Review) -> int:
    return Review.objects.values_list("use_case_mask", flat=True).get(pk=review.pk)


def test_use_case_bits_give_every_use_case_its_own_bit():
    assert set(USE_CASE_BITS) == set(UseCase.values)
    bits = list(USE_CASE_BITS.values())
    assert len(set(bits)) == len(bits)
    assert all(bit > 0 and bit & (bit - 1) == 0 for bit in bits)


def test_use_case_mask_follows_the_tags_on_every_write_path(create_review, publish, author):
    # the services: created, published, then an edit accepted by a moderator
    review = create_review(author, use_cases=["coding", "vision"])
    assert _mask(review) == USE_CASE_BITS["coding"] | USE_CASE_BITS["vision"]
    publish(review)
    review_update(review=review, author=author, changes={"use_cases": ["chat"]})
    assert _mask(review) == USE_CASE_BITS["coding"] | USE_CASE_BITS["vision"]  # edit waits
    publish(Review.objects.get(pk=review.pk))
    assert _mask(review) == USE_CASE_BITS["chat"]
    # and whatever else writes the column: save(), a queryset update, bulk writes
    review.refresh_from_db()
    review.use_cases = ["agents", "research", "other"]
    review.save()
    assert _mask(review) == USE_CASE_BITS["agents"] | USE_CASE_BITS["research"] | 128
    Review.objects.filter(pk=review.pk).update(use_cases=[])
    assert _mask(review) == 0
    review.use_cases = ["document_review", "data_extraction"]
    Review.objects.bulk_update([review], ["use_cases"])
    assert _mask(review) == USE_CASE_BITS["document_review"] | USE_CASE_BITS["data_extraction"]
    # a tag the service would refuse (written around it) sets no bit
    Review.objects.filter(pk=review.pk).update(use_cases=["coding_x", "Coding", "vision"])
    assert _mask(review) == USE_CASE_BITS["vision"]


def test_use_case_totals_from_the_mask_match_the_tags_review_by_review(prior):
    # given reviews with every kind of tag set, over two versions
    model = AIModelFactory()
    tag_sets = [["coding"], ["coding", "agents"], ["agents", "chat"], [], ["vision"], ["coding"]]
    for i, tags in enumerate(tag_sets):
        _published(model, 1 + i % 5, tags, model_version=f"v{i % 2}")
    # when
    totals = model_totals([model.pk])[model.pk]
    # then each use case sums exactly its tagged reviews; versions and model are unaffected
    reviews = list(Review.objects.filter(model=model))
    for use_case, group in totals.use_cases.items():
        tagged = [r for r in reviews if use_case in r.use_cases]
        assert (group.count, group.total) == (len(tagged), sum(r.rating for r in tagged))
        assert sum(group.stars.values()) == len(tagged)
    assert set(totals.use_cases) == {"coding", "agents", "chat", "vision"}
    assert totals.totals.count == 6
    assert {v: g.count for v, g in totals.versions.items()} == {"v0": 3, "v1": 3}
    assert site_use_case_means() == {
        "coding": (1 + 2 + 1) / 3, "agents": (2 + 3) / 2, "chat": 3.0, "vision": 5.0,
    }  # fmt: skip
