"""Helpful votes: PUT / DELETE /api/v1/reviews/{id}/vote/, counts and the Wilson order."""

import pytest

from reviews.exceptions import CannotVoteOwnReview, ReviewNotPublished
from reviews.models import HelpfulVote, Review
from reviews.services import vote_delete, vote_set, wilson_lower_bound
from tests.conftest import make_user, token_client
from tests.factories import HelpfulVoteFactory, ReviewFactory
from tests.reviews.conftest import review_url, reviews_url

pytestmark = pytest.mark.django_db


def test_wilson_lower_bound_matches_hand_worked_values():
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(1, 1) == pytest.approx(0.2065, abs=1e-4)
    assert wilson_lower_bound(9, 10) == pytest.approx(0.5958, abs=1e-4)
    assert wilson_lower_bound(90, 100) == pytest.approx(0.8256, abs=1e-4)
    assert wilson_lower_bound(0, 5) == 0.0
    # more evidence of the same share ranks higher
    assert wilson_lower_bound(90, 100) > wilson_lower_bound(9, 10) > wilson_lower_bound(1, 1)


def test_vote_is_one_per_person_and_changeable(published_review, other_verified):
    url = review_url(published_review.public_id, "vote/")
    first = other_verified.client.put(url, {"helpful": True}, format="json")
    assert first.json() == {
        "helpful": True,
        "helpful_count": 1,
        "not_helpful_count": 0,
        "helpfulness": pytest.approx(wilson_lower_bound(1, 1)),
    }
    changed = other_verified.client.put(url, {"helpful": False}, format="json")
    assert (changed.json()["helpful_count"], changed.json()["not_helpful_count"]) == (0, 1)
    assert HelpfulVote.objects.count() == 1

    assert other_verified.client.delete(url).status_code == 204
    assert other_verified.client.delete(url).status_code == 204  # idempotent
    review = Review.objects.get(pk=published_review.pk)
    assert (review.helpful_count, review.not_helpful_count, review.helpfulness) == (0, 0, 0.0)


def test_vote_body_needs_helpful(published_review, other_verified):
    url = review_url(published_review.public_id, "vote/")
    response = other_verified.client.put(url, {}, format="json")
    assert (response.status_code, list(response.json()["fields"])) == (400, ["helpful"])


def test_counts_are_recomputed_from_the_votes_table(published_review):
    # given counts that drifted (e.g. a manual edit)
    Review.objects.filter(pk=published_review.pk).update(helpful_count=500)
    HelpfulVoteFactory(review=published_review, helpful=False)
    # when anyone votes, then the counts are the votes', not an increment
    review = vote_set(review=published_review, voter=make_user(), helpful=True)
    assert (review.helpful_count, review.not_helpful_count) == (1, 1)
    assert review.helpfulness == pytest.approx(wilson_lower_bound(1, 2))


def test_no_vote_on_your_own_review(published_review, author):
    response = token_client(author).put(
        review_url(published_review.public_id, "vote/"), {"helpful": True}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "cannot_vote_own_review")
    with pytest.raises(CannotVoteOwnReview):
        vote_set(review=published_review, voter=author, helpful=True)


def test_votes_only_on_published_reviews(author, create_review, other_verified):
    review = create_review(author)
    response = other_verified.client.put(
        review_url(review.public_id, "vote/"), {"helpful": True}, format="json"
    )
    assert response.status_code == 404  # nobody else can see a pending review
    with pytest.raises(ReviewNotPublished):
        vote_set(review=review, voter=other_verified.user, helpful=True)


def test_most_helpful_orders_by_wilson_lower_bound(ai_model, anonymous):
    # given: one 1/1, one 9/10 and one 40/50 review, and one without votes
    votes = {
        "one_of_one": (1, 0),
        "nine_of_ten": (9, 1),
        "forty_of_fifty": (40, 10),
        "none": (0, 0),
    }
    reviews = {}
    for name, (yes, no) in votes.items():
        review = ReviewFactory(model=ai_model, published=True, title=name)
        for helpful, count in ((True, yes), (False, no)):
            for _ in range(count):
                HelpfulVoteFactory(review=review, helpful=helpful)
        reviews[name] = vote_delete(review=review, voter=make_user())  # recomputes the counts
    response = anonymous.client.get(f"{reviews_url(ai_model)}?ordering=-helpfulness")
    titles = [r["title"] for r in response.json()["results"]]
    assert titles == ["forty_of_fifty", "nine_of_ten", "one_of_one", "none"]
