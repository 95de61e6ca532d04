"""Edges of the workflow where moderators, authors and reporters act on one review in turn."""

import base64
import json
from urllib import parse

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import moderator_grant, moderator_revoke
from config.pagination import cursor_encode
from reviews.models import ModerationEvent, Report, Review
from reviews.services import (
    review_hide,
    review_update,
    review_verify,
    review_withdraw,
    review_withdraw_all_for_author,
)
from tests.conftest import make_user
from tests.factories import AIModelFactory, ReportFactory
from tests.reviews.conftest import moderation_url, review_url, reviews_url

pytestmark = pytest.mark.django_db


def _queue(moderator) -> list[dict]:
    return moderator.client.get("/api/v1/moderation/queue/").json()["results"]


def test_verify_with_the_revision_read_refuses_a_text_changed_since(
    author, create_review, moderator
):
    # given a moderator reads a pending review in the queue
    review = create_review(author)
    [item] = _queue(moderator)
    assert item["revision"] == 1
    # when the author rewrites it before the moderator decides
    review_update(review=review, author=author, changes={"body": "x" * 60 + " rewritten"})
    # then deciding on what the moderator read is refused, and nothing changed
    for action, body in (("verify", {}), ("reject", {"reason": "spam"})):
        response = moderator.client.post(
            moderation_url(review.public_id, action), {**body, "revision": 1}, format="json"
        )
        assert (response.status_code, response.json()["code"]) == (409, "revision_changed")
    assert Review.objects.get(pk=review.pk).status == "pending"
    # and the current revision can be verified
    response = moderator.client.post(
        moderation_url(review.public_id, "verify"), {"revision": 2}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (200, "published")


def test_appeal_of_a_hidden_review_with_an_old_edit_leaves_the_queue_once_verified(
    author, published_review, moderator
):
    # given a published review with an edit waiting is hidden, then edited again (appeal)
    review_update(review=published_review, author=author, changes={"title": "Edit one"})
    review_hide(review=published_review, moderator=moderator.user, reason="abusive")
    review_update(review=published_review, author=author, changes={"title": "Appeal"})
    # when a moderator verifies the appeal
    review_verify(review=published_review, moderator=moderator.user)
    # then it is published with the appeal's text and nothing of it waits any more
    review = Review.objects.get(pk=published_review.pk)
    assert (review.status, review.title, review.has_pending_edit) == ("published", "Appeal", False)
    assert review.queued_at is None
    assert _queue(moderator) == []


def test_reports_answered_by_the_authors_rewrite_are_upheld_not_dismissed(
    author, published_review, moderator
):
    # given an urgent report hid the review, and the author rewrote it
    report = ReportFactory(review=published_review, reason="personal_data")
    review_hide(review=published_review, moderator=moderator.user, reason="personal_data")
    Report.objects.filter(pk=report.pk).update(state=Report.State.OPEN)
    review_update(review=published_review, author=author, changes={"body": "y" * 80})
    # when the rewrite is verified
    review_verify(review=published_review, moderator=moderator.user)
    # then the report counts as right, not against its reporter
    assert Report.objects.get(pk=report.pk).state == Report.State.UPHELD


def test_withdrawing_closes_open_reports(author, published_review):
    report = ReportFactory(review=published_review)
    review_withdraw(review=published_review, author=author)
    assert Report.objects.get(pk=report.pk).state != Report.State.OPEN


def test_erasing_an_author_withdraws_reviews_on_several_models(author, create_review, publish):
    first, second = AIModelFactory(), AIModelFactory()
    publish(create_review(author, model=second))
    publish(create_review(author, model=first))
    assert review_withdraw_all_for_author(author_id=author.pk) == 2
    assert set(Review.objects.filter(author=author).values_list("status", flat=True)) == {
        "withdrawn"
    }


def test_affiliation_of_a_published_review_changes_only_when_its_edit_is_accepted(
    author, ai_model, create_review, publish, moderator
):
    # given a published review by someone who then discloses working for the provider
    review = publish(create_review(author))
    assert review.conflict_of_interest is False
    get_user_model().objects.filter(pk=author.pk).update(affiliation=ai_model.provider.slug)
    author.refresh_from_db()
    # when they edit it, the published review still counts as it did
    review_update(review=review, author=author, changes={"title": "Edited"})
    assert Review.objects.get(pk=review.pk).conflict_of_interest is False
    # then once the edit is accepted, the disclosure applies
    review_verify(review=review, moderator=moderator.user)
    assert Review.objects.get(pk=review.pk).conflict_of_interest is True


def _cursor(position: dict) -> str:
    # Signed with the server's key as if it had issued it (cursors are encrypted and
    # authenticated): the values inside are still checked before they reach the database.
    return cursor_encode({"kind": "keyset", "r": False, "p": json.dumps(position)})


def test_a_cursor_of_the_old_readable_format_is_400(ai_model, anonymous):
    query = parse.urlencode({"p": json.dumps({"k": ["-published_at", "-id"], "v": ["x", 1]})})
    cursor = base64.b64encode(query.encode()).decode()
    response = anonymous.client.get(reviews_url(ai_model), {"cursor": cursor})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(
    "values",
    [
        ["2026-01-01T00:00:00+00:00", 1e400],
        [None, 1],
        ["2026-01-01T00:00:00+00:00", 10**30],
        ["not a date", 1],
    ],
)
def test_crafted_cursors_are_400_not_500(ai_model, anonymous, values):
    cursor = _cursor({"k": ["-published_at", "-id"], "v": values})
    response = anonymous.client.get(reviews_url(ai_model), {"cursor": cursor})
    assert (response.status_code, list(response.json()["fields"])) == (400, ["cursor"])


@pytest.mark.parametrize("persona", ["anonymous", "unverified", "other_verified"])
def test_someone_elses_pending_review_does_not_exist_for_others(
    author, create_review, persona, request
):
    review = create_review(author)
    client = request.getfixturevalue(persona).client
    assert client.get(review_url(review.public_id)).status_code == 404
    if persona == "anonymous":
        return  # writes need an account first (401), checked by the persona matrix
    expected = 403 if persona == "unverified" else 404
    calls = [
        client.patch(review_url(review.public_id), {"title": "Mine now"}, format="json"),
        client.delete(review_url(review.public_id)),
        client.put(review_url(review.public_id, "vote/"), {"helpful": True}, format="json"),
        client.post(review_url(review.public_id, "reports/"), {"reason": "spam"}, format="json"),
    ]
    assert [response.status_code for response in calls] == [expected] * 4
    assert Review.objects.get(pk=review.pk).title == "A review"


def test_audit_log_query_count_does_not_grow_with_page_size(author, create_review, moderator):
    for _ in range(12):
        review = create_review(make_user())
        review_verify(review=review, moderator=moderator.user)
    assert ModerationEvent.objects.count() == 24

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = moderator.client.get("/api/v1/moderation/events/", {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(captured)

    assert queries(2) == queries(20)


def test_moderators_work_the_admin_through_the_services(author, create_review):
    # given a moderator signed in to the admin (the role makes them staff)
    moderator = make_user()
    moderator_grant(user=moderator)
    review = create_review(author)
    client = Client()
    client.force_login(moderator)
    assert client.get("/admin/reviews/review/").status_code == 200
    # when they verify a review with the admin action
    response = client.post(
        "/admin/reviews/review/",
        {
            "action": "verify",
            "_selected_action": [review.pk],
            "note": "Looks first-hand.",
            f"seen_revision_{review.pk}": "1",  # the revision the list showed
        },
    )
    assert response.status_code == 302
    # then it is published through the service, with its audit event
    assert Review.objects.get(pk=review.pk).status == "published"
    event = ModerationEvent.objects.get(review=review, action="verify")
    assert (event.actor_id, event.note) == (moderator.pk, "Looks first-hand.")
    # and without the role the admin is closed again
    moderator_revoke(user=moderator)
    assert client.get("/admin/reviews/review/").status_code == 302
