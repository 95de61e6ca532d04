"""Reviewer standing in the open (issue 13): each review shows the author's account age
bucket, published review count and whether usage was verified; no query per row."""

import datetime as dt

import pytest
from django.utils import timezone

from reviews.integrity.standing import account_age_bucket
from tests.conftest import make_user
from tests.factories import AIModelFactory, ReviewFactory
from tests.reviews.conftest import review_url, reviews_url

pytestmark = pytest.mark.django_db


def _joined(days: int) -> object:
    return make_user(date_joined=timezone.now() - dt.timedelta(days=days))


@pytest.mark.parametrize(
    ("days", "bucket"), [(0, "<1 month"), (29, "<1 month"), (30, "1-12 months"),
                         (364, "1-12 months"), (365, ">1 year"), (2000, ">1 year")],
)  # fmt: skip
def test_account_age_buckets(days, bucket):
    now = timezone.now()
    assert account_age_bucket(now - dt.timedelta(days=days), now) == bucket


def test_each_review_shows_neutral_facts_about_its_author(ai_model, anonymous):
    veteran = _joined(800)
    ReviewFactory.create_batch(2, author=veteran, published=True)
    ReviewFactory(author=veteran, status="pending")  # not counted: not published
    review = ReviewFactory(model=ai_model, author=veteran, published=True, usage_verified=True)
    newcomer = ReviewFactory(model=ai_model, author=_joined(3), published=True)

    listed = anonymous.client.get(reviews_url(ai_model)).json()["results"]
    facts = {item["id"]: item["reviewer"] for item in listed}
    assert facts[str(review.public_id)] == {
        "account_age": ">1 year", "published_reviews": 3, "usage_verified": True,
    }  # fmt: skip
    assert facts[str(newcomer.public_id)] == {
        "account_age": "<1 month", "published_reviews": 1, "usage_verified": False,
    }  # fmt: skip
    one = anonymous.client.get(review_url(review.public_id)).json()
    assert one["reviewer"] == facts[str(review.public_id)]


@pytest.mark.parametrize("page_size", [2, 10])
def test_reviewer_facts_cost_no_query_per_row(
    ai_model, anonymous, moderator, page_size, django_assert_num_queries
):
    for n in range(10):
        author = _joined(40 * n)
        for _ in range(n % 3):
            ReviewFactory(author=author, model=AIModelFactory(), published=True)
        ReviewFactory(model=ai_model, published=True, author=author)
    # the model, the count, the page, the provider replies of the page
    with django_assert_num_queries(4):
        response = anonymous.client.get(f"{reviews_url(ai_model)}?page_size={page_size}")
    assert len(response.json()["results"]) == page_size
    assert all("reviewer" in item for item in response.json()["results"])
