"""Retries are safe: moderation actions repeated, and writes sent with an Idempotency-Key."""

import datetime as dt

import pytest
from django.utils import timezone

from config.idempotency.models import IdempotencyKey
from config.idempotency.store import idempotency_key_sweep
from reviews.models import HelpfulVote, ModerationEvent, Report, Review
from tests.conftest import token_client
from tests.reviews.conftest import moderation_url, review_payload, review_url, reviews_url

pytestmark = pytest.mark.django_db


def _verify(persona, review, body=None, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return persona.client.post(
        moderation_url(review.public_id, "verify"), body or {}, format="json", **headers
    )


def test_a_repeated_verify_of_the_same_revision_answers_200_with_one_audit_event(
    author, create_review, moderator
):
    review = create_review(author)
    first = _verify(moderator, review, {"revision": 1})
    again = _verify(moderator, review, {"revision": 1})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert review.events.filter(action="verify").count() == 1


def test_a_verify_naming_a_revision_no_longer_current_is_still_refused(
    author, create_review, moderator
):
    review = create_review(author)
    assert _verify(moderator, review, {"revision": 1}).status_code == 200
    author_client = token_client(author)
    edit = author_client.patch(review_url(review.public_id), {"title": "Edited"}, format="json")
    assert edit.status_code == 200
    response = _verify(moderator, review, {"revision": 1})  # the moderator read revision 1
    assert (response.status_code, response.json()["code"]) == (409, "revision_changed")


def test_the_same_key_and_body_replays_the_first_answer_without_a_second_write(verified, ai_model):
    url, body = reviews_url(ai_model), review_payload()
    first = verified.client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = verified.client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Review.objects.filter(author=verified.user).count() == 1


def test_the_same_key_with_another_body_is_422(verified, ai_model):
    url = reviews_url(ai_model)
    verified.client.post(url, review_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = verified.client.post(
        url, review_payload(stars=1), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert list(other.json()["fields"]) == ["Idempotency-Key"]


def test_a_key_still_in_flight_is_409(verified, ai_model):
    url, body = reviews_url(ai_model), review_payload()
    first = verified.client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    # as if the first request were still running: its answer not stored yet
    IdempotencyKey.objects.filter(key="k-3").update(status_code=None)
    again = verified.client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == 201
    assert (again.status_code, again.json()["code"]) == (409, "idempotency_key_in_flight")


def test_keys_are_per_user_and_a_request_without_a_key_is_unchanged(
    verified, other_verified, ai_model
):
    url, body = reviews_url(ai_model), review_payload()
    mine = verified.client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    theirs = other_verified.client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    second = verified.client.post(url, body, format="json")
    assert (second.status_code, second.json()["code"]) == (409, "review_exists")


def test_vote_report_and_moderation_replay(verified, published_review, moderator):
    vote_url = review_url(published_review.public_id, "vote/")
    for _ in range(2):
        response = verified.client.put(
            vote_url, {"helpful": True}, format="json", HTTP_IDEMPOTENCY_KEY="v"
        )
        assert response.status_code == 200
    assert HelpfulVote.objects.count() == 1
    report_url = review_url(published_review.public_id, "reports/")
    answers = [
        verified.client.post(
            report_url, {"reason": "spam"}, format="json", HTTP_IDEMPOTENCY_KEY="r"
        ).status_code
        for _ in range(2)
    ]
    assert answers == [201, 201]
    assert Report.objects.count() == 1
    hide = moderation_url(published_review.public_id, "hide")
    for _ in range(2):
        response = moderator.client.post(
            hide, {"reason": "spam"}, format="json", HTTP_IDEMPOTENCY_KEY="h"
        )
        assert response.status_code == 200
    assert ModerationEvent.objects.filter(action="hide").count() == 1


def test_profile_patch_replays(verified):
    body = {"display_name": "Ada"}
    for _ in range(2):
        response = verified.client.patch(
            "/api/v1/me/", body, format="json", HTTP_IDEMPOTENCY_KEY="p"
        )
        assert (response.status_code, response.json()["display_name"]) == (200, "Ada")
    assert IdempotencyKey.objects.filter(user_id=verified.user.pk).count() == 1


def test_an_invalid_key_is_400(verified, ai_model):
    response = verified.client.post(
        reviews_url(ai_model), review_payload(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_invalid")


def test_the_sweep_deletes_keys_older_than_a_day(verified, ai_model):
    verified.client.post(
        reviews_url(ai_model), review_payload(), format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    assert idempotency_key_sweep() == 0
    assert idempotency_key_sweep(now=timezone.now() + dt.timedelta(hours=25)) == 1


def test_erasure_forgets_the_stored_answers(verified):
    from accounts.services import user_erase

    verified.client.patch(
        "/api/v1/me/", {"display_name": "Ada"}, format="json", HTTP_IDEMPOTENCY_KEY="e"
    )
    user_erase(user=verified.user)
    assert not IdempotencyKey.objects.filter(user_id=verified.user.pk).exists()
