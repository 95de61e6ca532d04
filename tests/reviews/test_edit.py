"""Editing, appealing and withdrawing: PATCH and DELETE /api/v1/reviews/{id}/."""

import pytest

from reviews.models import ModerationEvent, Review
from reviews.services import review_reject, review_update, review_verify
from tests.conftest import token_client
from tests.reviews.conftest import BODY, moderation_url, review_payload, review_url, reviews_url

pytestmark = pytest.mark.django_db
NEW_BODY = BODY + " Update: after the latest release it got noticeably better at tests."


def _public_body(client, review) -> str:
    return client.get(review_url(review.public_id)).json()["body"]


def test_edit_of_a_published_review_keeps_the_public_text_until_verified_and_keeps_revisions(
    author, published_review, moderator, anonymous
):
    client = token_client(author)
    # when the author edits the published review
    response = client.patch(
        review_url(published_review.public_id), {"body": NEW_BODY, "stars": 5}, format="json"
    )
    # then the author sees the edit waiting, while everyone else still sees the old text
    assert response.status_code == 200
    own = response.json()
    assert (own["status"], own["body"], own["has_pending_edit"]) == ("published", BODY, True)
    assert (own["pending_edit"]["body"], own["pending_edit"]["stars"]) == (NEW_BODY, 5)
    assert _public_body(anonymous.client, published_review) == BODY
    [queued] = moderator.client.get("/api/v1/moderation/queue/").json()["results"]
    assert queued["waiting_for"] == ["edit"]

    # when a moderator verifies the edit, then it is the public text
    verify = moderator.client.post(
        moderation_url(published_review.public_id, "verify"), {}, format="json"
    )
    assert verify.status_code == 200
    assert _public_body(anonymous.client, published_review) == NEW_BODY
    review = Review.objects.get(pk=published_review.pk)
    assert (review.rating, review.has_pending_edit, review.queued_at) == (5, False, None)
    assert list(review.revisions.values_list("number", "state", "body")) == [
        (1, "accepted", BODY),
        (2, "accepted", NEW_BODY),
    ]


def test_rejecting_an_edit_keeps_the_published_text(author, published_review, moderator):
    review_update(review=published_review, author=author, changes={"body": NEW_BODY})
    review = review_reject(
        review=published_review, moderator=moderator.user, reason="off_topic", note="Stay on it."
    )
    assert (review.status, review.body, review.has_pending_edit) == ("published", BODY, False)
    assert list(review.revisions.values_list("number", "state")) == [
        (1, "accepted"),
        (2, "rejected"),
    ]
    assert review.queued_at is None


def test_a_second_edit_supersedes_the_first_one_waiting(author, published_review):
    review_update(review=published_review, author=author, changes={"body": NEW_BODY})
    review_update(review=published_review, author=author, changes={"title": "Second thoughts"})
    states = list(published_review.revisions.values_list("number", "state", "title", "body"))
    assert states == [
        (1, "accepted", "A review", BODY),
        (2, "superseded", "A review", NEW_BODY),
        # built on the edit that was waiting, not on the published text
        (3, "pending", "Second thoughts", NEW_BODY),
    ]


def test_appeal_of_a_rejected_review_goes_back_to_the_queue(
    author, create_review, moderator, ai_model
):
    # given a rejected review
    review = create_review(author)
    response = moderator.client.post(
        moderation_url(review.public_id, "reject"),
        {"reason": "not_first_hand", "note": "Say how you used it."},
        format="json",
    )
    assert response.json()["status"] == "rejected"
    client = token_client(author)
    mine = client.get("/api/v1/me/reviews/").json()["results"][0]
    assert mine["last_moderation"]["action"] == "reject"
    assert mine["last_moderation"]["reason"] == "not_first_hand"
    assert mine["last_moderation"]["note"] == "Say how you used it."

    # when the author edits it (an appeal)
    response = client.patch(
        review_url(review.public_id), {"body": NEW_BODY, "usage": {"channel": "api"}}, format="json"
    )

    # then it is pending again, in the queue, with the new text; and it can be verified
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["body"]) == ("pending", NEW_BODY)
    queue = moderator.client.get("/api/v1/moderation/queue/").json()["results"]
    assert [item["id"] for item in queue] == [str(review.public_id)]
    review_verify(review=review, moderator=moderator.user)
    assert Review.objects.get(pk=review.pk).status == "published"
    actions = ModerationEvent.objects.filter(review=review).order_by("id")
    assert [(e.action, e.from_status, e.to_status) for e in actions] == [
        ("submit", "", "pending"),
        ("reject", "pending", "rejected"),
        ("edit", "rejected", "pending"),
        ("verify", "pending", "published"),
    ]


def test_editing_a_pending_review_replaces_its_text(author, create_review):
    review = create_review(author)
    review = review_update(review=review, author=author, changes={"title": "Better title"})
    assert (review.status, review.title) == ("pending", "Better title")
    assert list(review.revisions.values_list("number", "state")) == [
        (1, "superseded"), (2, "pending"),
    ]  # fmt: skip


def test_patch_by_someone_else_is_403_on_a_published_review_and_404_on_a_pending_one(
    author, create_review, published_review, other_verified, ai_model
):
    forbidden = other_verified.client.patch(
        review_url(published_review.public_id), {"title": "Mine now"}, format="json"
    )
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "not_review_author")
    removed = other_verified.client.delete(review_url(published_review.public_id))
    assert (removed.status_code, removed.json()["code"]) == (403, "not_review_author")

    pending = create_review(author, model=_other_model(ai_model))
    hidden = other_verified.client.patch(
        review_url(pending.public_id), {"title": "x"}, format="json"
    )
    assert (hidden.status_code, hidden.json()["code"]) == (404, "review_not_found")
    assert other_verified.client.get(review_url(pending.public_id)).status_code == 404


def _other_model(ai_model):
    return ai_model.provider.models.create(slug="openai/o3", name="o3")


def test_patch_with_nothing_to_change_is_400(author, published_review):
    response = token_client(author).patch(review_url(published_review.public_id), {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_patch_cannot_set_status_counts_or_history(author, create_review):
    review = create_review(author)
    response = token_client(author).patch(
        review_url(review.public_id),
        {"title": "New", "status": "published", "helpful_count": 50, "revisions": [], "id": 1},
        format="json",
    )
    # refused whole (unknown fields are a 400 naming them), nothing changed
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert set(response.json()["fields"]) == {"status", "helpful_count", "revisions", "id"}
    review.refresh_from_db()
    assert (review.status, review.helpful_count, review.title) != ("published", 50, "New")
    assert review.revisions.count() == 1


def test_withdraw_is_a_soft_delete_the_author_still_sees(author, published_review, anonymous):
    client = token_client(author)
    assert client.delete(review_url(published_review.public_id)).status_code == 204

    review = Review.objects.get(pk=published_review.pk)
    assert review.status == "withdrawn"
    assert anonymous.client.get(review_url(review.public_id)).status_code == 404
    assert client.get(review_url(review.public_id)).json()["status"] == "withdrawn"
    assert anonymous.client.get(reviews_url(review.model)).json()["results"] == []
    again = client.delete(review_url(review.public_id))
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    edit = client.patch(review_url(review.public_id), {"title": "x"}, format="json")
    assert (edit.status_code, edit.json()["code"]) == (409, "invalid_transition")


def test_my_reviews_lists_every_state_with_bounded_queries(
    author, create_review, ai_model, moderator, django_assert_max_num_queries
):
    client = token_client(author)
    client.post(reviews_url(ai_model), review_payload(), format="json")
    for n in range(4):
        create_review(author, model=ai_model.provider.models.create(slug=f"openai/m{n}", name="M"))
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/me/reviews/")
    assert response.status_code == 200
    assert response.json()["count"] == 5
    assert {r["status"] for r in response.json()["results"]} == {"pending"}
