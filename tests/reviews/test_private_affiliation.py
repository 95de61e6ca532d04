"""A private affiliation stays private: the public sees that a review does not count, not
why; the author and moderators see the conflict of interest."""

import pytest

from accounts.services import profile_update
from reviews.models import Review
from tests.conftest import make_user, token_client
from tests.factories import ReportFactory
from tests.reviews.conftest import review_url, reviews_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def affiliated_review(ai_model, create_review, publish):
    author = make_user()
    profile_update(user=author, affiliation=ai_model.provider.slug, affiliation_public=False)
    review = create_review(author)
    publish(review)
    return author, review


def _row(client, ai_model, review):
    rows = client.get(reviews_url(ai_model)).json()["results"]
    return next(row for row in rows if row["id"] == str(review.public_id))


def test_private_affiliation_hides_the_conflict_from_the_public(
    affiliated_review, ai_model, anonymous, verified
):
    _, review = affiliated_review
    for client in (anonymous.client, verified.client):
        for shown in (
            _row(client, ai_model, review),
            client.get(review_url(review.public_id)).json(),
        ):
            assert shown["conflict_of_interest"] is None
            assert shown["counts_toward_rating"] is False


def test_author_and_moderators_see_the_conflict(affiliated_review, ai_model, moderator):
    author, review = affiliated_review
    client = token_client(author)
    assert _row(client, ai_model, review)["conflict_of_interest"] is True
    assert client.get(review_url(review.public_id)).json()["conflict_of_interest"] is True
    # moderators, where they moderate (the queue shows a reported review, say)
    ReportFactory(review=review)
    review.queued_at = review.created_at
    review.save(update_fields=["queued_at"])
    queue = moderator.client.get("/api/v1/moderation/queue/").json()["results"]
    [row] = [row for row in queue if row["id"] == str(review.public_id)]
    assert row["conflict_of_interest"] is True


def test_public_affiliation_shows_the_conflict(affiliated_review, ai_model, anonymous):
    author, review = affiliated_review
    profile_update(user=author, affiliation_public=True)
    assert _row(anonymous.client, ai_model, review)["conflict_of_interest"] is True


def test_unaffiliated_review_counts(published_review, ai_model, anonymous):
    row = _row(anonymous.client, ai_model, published_review)
    assert (row["conflict_of_interest"], row["counts_toward_rating"]) == (None, True)


def test_a_review_held_out_during_a_surge_does_not_count(published_review, ai_model, anonymous):
    Review.objects.filter(pk=published_review.pk).update(rating_held=True)
    assert _row(anonymous.client, ai_model, published_review)["counts_toward_rating"] is False
