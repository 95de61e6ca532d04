"""Moderation: the actions, their guards, the audit log and the queue."""

import pytest
from django.utils import timezone

from reviews.exceptions import CannotModerateOwnReview, InvalidTransition, ModerationNotAllowed
from reviews.models import ModerationEvent, Review
from reviews.services import (
    review_hide,
    review_mark_usage_verified,
    review_reject,
    review_restore,
    review_update,
    review_verify,
)
from tests.conftest import make_user, token_client
from tests.factories import ReportFactory
from tests.reviews.conftest import moderation_url, review_payload, reviews_url

pytestmark = pytest.mark.django_db


def _post(persona, review, action, body=None):
    return persona.client.post(moderation_url(review.public_id, action), body or {}, format="json")


def test_verify_publishes_and_can_mark_usage_verified(author, create_review, moderator):
    review = create_review(author)
    response = _post(moderator, review, "verify", {"usage_verified": True, "note": "Saw logs."})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["usage_verified"], body["queued_at"]) == ("published", True, None)
    review.refresh_from_db()
    assert review.published_at is not None
    assert review.revisions.get().state == "accepted"


def test_reject_needs_a_reason_from_the_list(author, create_review, moderator):
    review = create_review(author)
    assert _post(moderator, review, "reject").status_code == 400
    response = _post(moderator, review, "reject", {"reason": "rude"})
    assert (response.status_code, list(response.json()["fields"])) == (400, ["reason"])
    assert Review.objects.get(pk=review.pk).status == "pending"


def test_hide_and_restore(published_review, moderator, anonymous):
    url = f"/api/v1/reviews/{published_review.public_id}/"
    hidden = _post(moderator, published_review, "hide", {"reason": "abusive", "note": "Insults."})
    assert hidden.json()["status"] == "hidden"
    assert anonymous.client.get(url).status_code == 404
    restored = _post(moderator, published_review, "restore", {"note": "Was fine."})
    assert restored.json()["status"] == "published"
    assert anonymous.client.get(url).status_code == 200


def test_verify_usage_adds_the_badge_once(published_review, moderator):
    assert _post(moderator, published_review, "verify-usage").json()["usage_verified"] is True
    again = _post(moderator, published_review, "verify-usage")  # a retry: same answer
    assert (again.status_code, again.json()["usage_verified"]) == (200, True)
    assert published_review.events.filter(action="verify_usage").count() == 1


@pytest.mark.parametrize(
    ("state", "action", "body"),
    [
        ("pending", "restore", {}),
        ("pending", "hide", {"reason": "spam"}),
        ("published", "reject", {"reason": "spam"}),
        ("rejected", "verify", {}),
        ("hidden", "verify", {}),
        ("withdrawn", "verify", {}),
        ("withdrawn", "restore", {}),
        ("withdrawn", "verify-usage", {}),
    ],
)
def test_invalid_transitions_are_409(author, create_review, moderator, state, action, body):
    review = create_review(author)
    Review.objects.filter(pk=review.pk).update(status=state, queued_at=None)
    response = _post(moderator, review, action, body)
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert Review.objects.get(pk=review.pk).status == state


@pytest.mark.parametrize(
    ("state", "action", "body"),
    [
        ("published", "verify", {}),
        ("published", "restore", {}),
        ("rejected", "reject", {"reason": "spam"}),
        ("hidden", "hide", {"reason": "spam"}),
    ],
)
def test_an_action_whose_outcome_is_the_state_already_answers_200_and_records_nothing(
    author, create_review, moderator, state, action, body
):
    review = create_review(author)
    Review.objects.filter(pk=review.pk).update(status=state, queued_at=None)
    events = review.events.count()
    response = _post(moderator, review, action, body)
    assert (response.status_code, response.json()["status"]) == (200, state)
    assert review.events.count() == events


def test_moderator_cannot_moderate_own_review(moderator, create_review, ai_model):
    # given a moderator's own review, written over the API
    response = moderator.client.post(reviews_url(ai_model), review_payload(), format="json")
    review = Review.objects.get(public_id=response.json()["id"])
    # then no moderation action on it is allowed, over the API or through a service
    for action, body in [("verify", {}), ("reject", {"reason": "spam"}), ("verify-usage", {})]:
        refused = _post(moderator, review, action, body)
        assert (refused.status_code, refused.json()["code"]) == (403, "cannot_moderate_own_review")
    with pytest.raises(CannotModerateOwnReview):
        review_verify(review=review, moderator=moderator.user)
    assert Review.objects.get(pk=review.pk).status == "pending"


def test_moderation_services_refuse_people_without_the_role(author, create_review, verified):
    with pytest.raises(ModerationNotAllowed):
        review_verify(review=create_review(author), moderator=verified.user)


def test_every_moderation_action_is_in_the_audit_log_with_actor_and_reason(
    author, create_review, moderator, admin, ai_model
):
    # given every action, by two moderators
    review = create_review(author)
    review_reject(review=review, moderator=moderator.user, reason="off_topic", note="n1")
    review_update(review=review, author=author, changes={"title": "Appeal"})
    review_verify(review=review, moderator=admin.user, note="n2")
    review_mark_usage_verified(review=review, moderator=moderator.user, note="n3")
    review_hide(review=review, moderator=moderator.user, reason="personal_data", note="n4")
    review_restore(review=review, moderator=admin.user, note="n5")

    # when a moderator reads the audit log
    response = moderator.client.get("/api/v1/moderation/events/")

    # then every action is there, newest first, with actor, states, reason and note
    rows = [
        (e["action"], e["actor"], e["from_status"], e["to_status"], e["reason"], e["note"])
        for e in response.json()["results"]
    ]
    mod, adm, me = moderator.user.username, admin.user.username, author.username
    assert rows == [
        ("restore", adm, "hidden", "published", "", "n5"),
        ("hide", mod, "published", "hidden", "personal_data", "n4"),
        ("verify_usage", mod, "published", "published", "", "n3"),
        ("verify", adm, "pending", "published", "", "n2"),
        ("edit", me, "rejected", "pending", "", ""),
        ("reject", mod, "pending", "rejected", "off_topic", "n1"),
        ("submit", me, "", "pending", "", ""),
    ]
    assert {e["review"] for e in response.json()["results"]} == {str(review.public_id)}


def test_audit_log_filters_by_review_actor_and_action(
    author, create_review, moderator, admin, ai_model
):
    first = review_verify(review=create_review(author), moderator=moderator.user)
    other = ai_model.provider.models.create(slug="openai/o3", name="o3")
    review_reject(review=create_review(author, model=other), moderator=admin.user, reason="spam")

    def actions(query: str) -> list[str]:
        response = moderator.client.get(f"/api/v1/moderation/events/?{query}")
        assert response.status_code == 200
        return [e["action"] for e in response.json()["results"]]

    assert actions(f"review={first.public_id}") == ["verify", "submit"]
    assert actions(f"actor={admin.user.username}") == ["reject"]
    assert actions("action=submit") == ["submit", "submit"]
    bad = moderator.client.get("/api/v1/moderation/events/?review=not-a-uuid&action=dance")
    assert (bad.status_code, set(bad.json()["fields"])) == (400, {"review", "action"})


def test_queue_is_oldest_first_and_filters_by_model_and_reason(
    author, create_review, published_review, moderator, ai_model
):
    # given a new review (newest), a reported one and an edited one, queued at known times
    other = ai_model.provider.models.create(slug="openai/o3", name="o3")
    new = create_review(make_user(), model=other)
    ReportFactory(review=published_review, reason="personal_data")
    Review.objects.filter(pk=published_review.pk).update(
        flagged_at=timezone.now(), queued_at=timezone.now() - timezone.timedelta(days=2)
    )
    edited = review_verify(review=create_review(make_user()), moderator=moderator.user)
    review_update(review=edited, author=edited.author, changes={"title": "Edit"})
    Review.objects.filter(pk=edited.pk).update(
        queued_at=timezone.now() - timezone.timedelta(days=1)
    )

    def queue(query: str = "") -> list[str]:
        response = moderator.client.get(f"/api/v1/moderation/queue/?{query}")
        assert response.status_code == 200
        return [item["id"] for item in response.json()["results"]]

    ids = [str(r.public_id) for r in (published_review, edited, new)]
    assert queue() == ids
    assert queue("model=openai/o3") == [str(new.public_id)]
    assert queue("reason=personal_data") == [str(published_review.public_id)]
    assert queue("reason=spam") == []
    assert moderator.client.get("/api/v1/moderation/queue/?reason=nope").status_code == 400


@pytest.mark.parametrize("page_size", [2, 6])
def test_queue_query_count_does_not_grow_with_page_size(
    page_size, moderator, ai_model, django_assert_num_queries
):
    for n in range(6):
        review = ReportFactory(review__model=ai_model, review__published=True).review
        Review.objects.filter(pk=review.pk).update(
            queued_at=timezone.now(), flagged_at=timezone.now()
        )
        ReportFactory(review=review, reason="abusive", note=f"n{n}")
    with django_assert_num_queries(_QUEUE_QUERIES):
        response = moderator.client.get(f"/api/v1/moderation/queue/?page_size={page_size}")
    assert len(response.json()["results"]) == page_size
    assert all(len(item["open_reports"]) == 2 for item in response.json()["results"])


# user (the session comes from the cache), email verified, the moderation permission, MFA;
# count, page, waiting edits, reports, integrity flags, provider replies
_QUEUE_QUERIES = 10


def test_invalid_transition_error_is_typed(author, create_review, moderator):
    with pytest.raises(InvalidTransition):
        review_restore(review=create_review(author), moderator=moderator.user)


def test_non_moderators_are_refused_before_anything_happens(author, create_review, verified):
    review = create_review(author)
    response = _post(verified, review, "verify")
    assert (response.status_code, response.json()["code"]) == (403, "moderation_not_allowed")
    assert token_client(author).get("/api/v1/moderation/queue/").status_code == 403
    assert ModerationEvent.objects.filter(review=review).count() == 1
