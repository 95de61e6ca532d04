"""The acceptance story of issue 4, over HTTP only, as a new user would meet it."""

import pytest

from tests.conftest import make_user, token_client
from tests.reviews.conftest import moderation_url, review_payload, review_url, reviews_url

pytestmark = pytest.mark.django_db


def _listed_ids(client, model) -> list[str]:
    response = client.get(reviews_url(model))
    assert response.status_code == 200
    return [review["id"] for review in response.json()["results"]]


def _queued_ids(moderator) -> list[str]:
    response = moderator.client.get("/api/v1/moderation/queue/")
    assert response.status_code == 200
    return [item["id"] for item in response.json()["results"]]


def test_review_story_from_posting_to_returning_to_the_queue(
    ai_model, verified, other_verified, moderator, anonymous
):
    # given a verified user posts a review
    response = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    assert response.status_code == 201
    review_id = response.json()["id"]
    assert response.json()["status"] == "pending"

    # then it is not in the public list, but it is in the moderation queue
    assert review_id not in _listed_ids(anonymous.client, ai_model)
    assert _queued_ids(moderator) == [review_id]

    # when a moderator verifies it, then it is listed
    response = moderator.client.post(moderation_url(review_id, "verify"), {}, format="json")
    assert response.status_code == 200
    assert _listed_ids(anonymous.client, ai_model) == [review_id]
    assert _queued_ids(moderator) == []

    # when another user votes it helpful, then the count shows
    response = other_verified.client.put(
        review_url(review_id, "vote/"), {"helpful": True}, format="json"
    )
    assert response.status_code == 200
    [listed] = anonymous.client.get(reviews_url(ai_model)).json()["results"]
    assert listed["helpful_count"] == 1

    # when three users report it, then it is back in the queue (and still public)
    for _ in range(3):
        reporter = token_client(make_user())
        response = reporter.post(
            review_url(review_id, "reports/"), {"reason": "spam", "note": "ads"}, format="json"
        )
        assert response.status_code == 201
    assert _queued_ids(moderator) == [review_id]
    [item] = moderator.client.get("/api/v1/moderation/queue/").json()["results"]
    assert item["waiting_for"] == ["reports"]
    assert [r["reason"] for r in item["open_reports"]] == ["spam"] * 3
    assert _listed_ids(anonymous.client, ai_model) == [review_id]
