"""Provider replies (issue 16): members of the model's provider answer a published review in
public, once per review; moderators publish; the review's author is mailed and may update."""

import datetime as dt
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import user_export_get
from accounts.services import user_erase
from models_catalog.memberships import membership_grant
from reviews.exceptions import ReviewNotPublished
from reviews.models import (
    ProviderReplyStats,
    ReplyStatus,
    Review,
    ReviewReply,
    ReviewReplyRevision,
)
from reviews.services import reply_create, reply_publish, review_update
from reviews.services.reply_stats import reply_stats_refresh
from reviews.tasks import reply_stats_refresh_task
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory, ProviderFactory, ReviewFactory
from tests.references import provider_ref
from tests.reviews.conftest import BODY, review_url, reviews_url

pytestmark = pytest.mark.django_db

REPLY = "Thanks for the detailed review: the 2026-05 snapshot fixes the timeout you describe."


def reply_url(review: Any) -> str:
    return review_url(review.public_id, "reply/")


def reply_moderation_url(reply_id: Any, action: str) -> str:
    return f"/api/v1/moderation/replies/{reply_id}/{action}/"


@pytest.fixture
def member(ai_model: Any) -> Any:
    """A verified member of OpenAI (the provider of `ai_model`), with a client."""
    user = make_user()
    membership_grant(provider=ai_model.provider, user=user)
    return user


@pytest.fixture
def member_client(member: Any) -> Any:
    return token_client(member)


def _reply(review: Any, member: Any, body: str = REPLY) -> ReviewReply:
    return reply_create(review=review, author=member, body=body)


def test_member_replies_moderator_publishes_list_shows_it_and_author_is_mailed(
    published_review, member_client, moderator, anonymous, author, eager_commit
):
    # given a member of OpenAI and a published review of o4-mini
    # when the member replies
    response = member_client.post(reply_url(published_review), {"body": REPLY}, format="json")
    # then it waits for moderation and is not public yet
    assert response.status_code == 201, response.json()
    assert response["Location"].endswith(reply_url(published_review))
    reply = response.json()
    assert (reply["status"], reply["provider"]["slug"]) == ("pending", "openai")
    rows = anonymous.client.get(reviews_url(published_review.model)).json()["results"]
    assert rows[0]["reply"] is None
    assert anonymous.client.get(reply_url(published_review)).status_code == 404
    # when a moderator publishes it from the reply queue
    queue = moderator.client.get("/api/v1/moderation/replies/").json()["results"]
    assert [item["id"] for item in queue] == [reply["id"]]
    with eager_commit():
        published = moderator.client.post(
            reply_moderation_url(reply["id"], "publish"), {}, format="json"
        )
    assert published.status_code == 200
    # then the list and the detail show it under the review, and the author got the mail
    rows = anonymous.client.get(reviews_url(published_review.model)).json()["results"]
    assert rows[0]["reply"]["body"] == REPLY
    assert rows[0]["reply"]["provider"] == {
        "slug": "openai", "name": "OpenAI", "url": "http://testserver/api/v1/providers/openai/",
    }  # fmt: skip
    detail = anonymous.client.get(review_url(published_review.public_id)).json()
    assert detail["reply"]["id"] == reply["id"]
    [message] = mail.outbox
    assert message.to == [author.email]
    assert "OpenAI replied to your review" in message.subject
    assert REPLY in message.body
    assert moderator.client.get("/api/v1/moderation/replies/").json()["results"] == []


def test_member_of_another_provider_cannot_reply(published_review):
    google = ProviderFactory(slug="google", name="Google")
    outsider = make_user()
    membership_grant(provider=google, user=outsider)
    response = token_client(outsider).post(
        reply_url(published_review), {"body": REPLY}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "not_provider_member")


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("unverified", 403, "email_not_verified"),
        ("verified", 403, "not_provider_member"),
        ("moderator", 403, "not_provider_member"),
        ("admin", 403, "not_provider_member"),
    ],
)
def test_only_members_may_reply(published_review, request, persona, status, code):
    client = request.getfixturevalue(persona).client
    response = client.post(reply_url(published_review), {"body": REPLY}, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_nobody_can_reply_twice(published_review, member, member_client, ai_model):
    assert member_client.post(reply_url(published_review), {"body": REPLY}, format="json")
    colleague = make_user()
    membership_grant(provider=ai_model.provider, user=colleague)
    for client in (member_client, token_client(colleague)):
        response = client.post(reply_url(published_review), {"body": REPLY}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "reply_exists")


def test_one_active_reply_per_review_and_provider_is_a_database_constraint(
    published_review, member
):
    reply = _reply(published_review, member)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewReply.objects.create(
            review=published_review, provider=reply.provider, author=member, body=REPLY
        )


def test_only_a_published_review_can_be_replied_to(create_review, author, member):
    pending = create_review(author)
    with pytest.raises(ReviewNotPublished):
        _reply(pending, member)


def test_reply_body_is_validated_like_a_review_body(published_review, member_client):
    response = member_client.post(reply_url(published_review), {"body": "Thanks!"}, format="json")
    assert (response.status_code, list(response.json()["fields"])) == (400, ["body"])


def test_edit_keeps_history_and_waits_for_moderation_again(
    published_review, member, member_client, moderator, anonymous
):
    reply = reply_publish(reply=_reply(published_review, member), moderator=moderator.user)
    edited = REPLY + " Batch endpoint too."
    response = member_client.patch(reply_url(published_review), {"body": edited}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "pending")
    assert list(reply.revisions.values_list("number", "body")) == [(1, REPLY), (2, edited)]
    # not public while the edit waits
    rows = anonymous.client.get(reviews_url(published_review.model)).json()["results"]
    assert rows[0]["reply"] is None
    moderator.client.post(reply_moderation_url(reply.public_id, "publish"), {}, format="json")
    rows = anonymous.client.get(reviews_url(published_review.model)).json()["results"]
    assert rows[0]["reply"]["body"] == edited


def test_only_the_replys_author_or_a_manager_may_edit_or_delete_it(
    published_review, member, ai_model
):
    _reply(published_review, member)
    colleague, manager = make_user(), make_user()
    membership_grant(provider=ai_model.provider, user=colleague)
    membership_grant(provider=ai_model.provider, user=manager, role="manager")
    response = token_client(colleague).patch(
        reply_url(published_review), {"body": REPLY + " more"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "not_reply_author")
    response = token_client(manager).patch(
        reply_url(published_review), {"body": REPLY + " more"}, format="json"
    )
    assert response.status_code == 200
    assert token_client(colleague).delete(reply_url(published_review)).status_code == 403
    assert token_client(manager).delete(reply_url(published_review)).status_code == 204


def test_deleted_reply_disappears_and_the_provider_may_reply_again(
    published_review, member, member_client, moderator, anonymous
):
    reply_publish(reply=_reply(published_review, member), moderator=moderator.user)
    assert member_client.delete(reply_url(published_review)).status_code == 204
    rows = anonymous.client.get(reviews_url(published_review.model)).json()["results"]
    assert rows[0]["reply"] is None
    response = member_client.post(reply_url(published_review), {"body": REPLY}, format="json")
    assert response.status_code == 201
    assert ReviewReply.objects.filter(status=ReplyStatus.DELETED).count() == 1


def test_pending_reply_is_visible_to_the_providers_members_only(
    published_review, member, ai_model, verified
):
    _reply(published_review, member)
    colleague = make_user()
    membership_grant(provider=ai_model.provider, user=colleague)
    assert token_client(colleague).get(reply_url(published_review)).json()["status"] == "pending"
    response = verified.client.get(reply_url(published_review))
    assert (response.status_code, response.json()["code"]) == (404, "reply_not_found")


def test_moderation_of_replies_refuses_own_reply_and_a_reply_not_waiting(
    published_review, ai_model, moderator
):
    moderator_member = moderator.user
    membership_grant(provider=ai_model.provider, user=moderator_member)
    reply = _reply(published_review, moderator_member)
    response = moderator.client.post(
        reply_moderation_url(reply.public_id, "publish"), {}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "cannot_moderate_own_reply")
    other = make_user()
    from accounts.services import moderator_grant

    moderator_grant(user=other)
    client = token_client(other)
    assert (
        client.post(reply_moderation_url(reply.public_id, "reject"), {}, format="json").status_code
        == 200
    )
    response = client.post(reply_moderation_url(reply.public_id, "publish"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "reply_not_pending")


def test_review_shows_updated_after_reply_once_the_authors_edit_is_published(
    published_review, member, author, moderator, publish, anonymous
):
    reply_publish(reply=_reply(published_review, member), moderator=moderator.user)
    assert Review.objects.get(pk=published_review.pk).updated_after_reply is False
    response = token_client(author).patch(
        review_url(published_review.public_id), {"stars": 5, "body": BODY + " Fixed now."},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    publish(Review.objects.get(pk=published_review.pk))
    detail = anonymous.client.get(review_url(published_review.public_id)).json()
    assert (detail["updated_after_reply"], detail["stars"]) == (True, 5)


def test_an_edit_before_any_reply_does_not_show_updated_after_reply(
    published_review, author, publish
):
    review_update(review=published_review, author=author, changes={"rating": 2})
    review = publish(Review.objects.get(pk=published_review.pk))
    assert review.updated_after_reply is False


def test_has_reply_filter(ai_model, member, moderator, anonymous):
    replied, silent = (ReviewFactory(model=ai_model, published=True) for _ in range(2))
    reply_publish(reply=_reply(replied, member), moderator=moderator.user)

    def ids(query: str) -> list[str]:
        return [
            r["id"] for r in anonymous.client.get(reviews_url(ai_model) + query).json()["results"]
        ]

    assert ids("?has_reply=true") == [str(replied.public_id)]
    assert ids("?has_reply=false") == [str(silent.public_id)]


@pytest.mark.parametrize("page_size", [2, 10])
def test_replies_in_the_list_cost_one_query_whatever_the_page_size(
    ai_model, member, moderator, anonymous, page_size, django_assert_num_queries
):
    for _ in range(10):
        review = ReviewFactory(model=ai_model, published=True, author=make_user())
        reply_publish(reply=_reply(review, member), moderator=moderator.user)
    # the model, the count, the page, the replies of the page (with their provider)
    with django_assert_num_queries(4):
        response = anonymous.client.get(f"{reviews_url(ai_model)}?page_size={page_size}")
    rows = response.json()["results"]
    assert len(rows) == page_size
    assert all(row["reply"]["body"] == REPLY for row in rows)


def test_membership_granted_later_marks_earlier_reviews_conflicted_through_the_outbox(
    published_review, author, ai_model, eager_commit
):
    with eager_commit():
        membership_grant(provider=ai_model.provider, user=author)
    assert Review.objects.get(pk=published_review.pk).conflict_of_interest is True


def test_reply_writes_are_throttled_per_account(ai_model, member, member_client, settings):
    rates = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "review_reply": "2/day"}
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    reviews = [ReviewFactory(model=ai_model, published=True) for _ in range(3)]
    statuses = [
        member_client.post(reply_url(review), {"body": REPLY}, format="json").status_code
        for review in reviews
    ]
    assert statuses == [201, 201, 429]


def test_replies_are_exported_and_erased_with_the_account(published_review, member, moderator):
    reply = reply_publish(reply=_reply(published_review, member), moderator=moderator.user)
    [exported] = user_export_get(member)["apps"]["provider_replies"]
    assert (exported["id"], exported["body"], exported["provider"]) == (
        reply.public_id, REPLY,
        provider_ref("openai", reply.provider.name, django_settings.API_ORIGIN),
    )  # fmt: skip
    assert [r["body"] for r in exported["revisions"]] == [REPLY]
    user_erase(user=member)
    reply.refresh_from_db()
    assert (reply.body, reply.status) == ("", ReplyStatus.DELETED)
    assert set(ReviewReplyRevision.objects.values_list("body", flat=True)) == {""}


def test_a_members_review_of_another_model_of_a_different_provider_has_no_reply_route(
    member_client,
):
    other = ReviewFactory(model=AIModelFactory(), published=True)
    response = member_client.post(reply_url(other), {"body": REPLY}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not_provider_member")


# --- Reply figures (reply rate, median time to reply; computed off the request path) -----


def test_reply_stats_count_the_window_and_the_median_time_to_reply(ai_model, member, moderator):
    now = timezone.now()
    reviews = [
        ReviewFactory(model=ai_model, published=True, published_at=now - dt.timedelta(days=d))
        for d in (1, 2, 3, 200)  # the last is outside the 90-day window
    ]
    for review, hours in zip(reviews[:2], (2, 6), strict=True):
        reply = reply_publish(reply=_reply(review, member), moderator=moderator.user)
        created = review.published_at + dt.timedelta(hours=hours)
        ReviewReply.objects.filter(pk=reply.pk).update(created_at=created)
    assert reply_stats_refresh(now=now) == 1
    stats = ProviderReplyStats.objects.get(provider=ai_model.provider)
    assert (stats.reviews_published, stats.reviews_replied) == (3, 2)
    assert stats.reply_rate == pytest.approx(2 / 3)
    assert stats.median_reply_seconds == 4 * 3600


def test_reply_stats_are_served_as_stored_and_zero_before_any_computation(
    ai_model, anonymous, django_assert_num_queries
):
    url = "/api/v1/providers/openai/reply-stats/"
    body = anonymous.client.get(url).json()
    assert (body["reviews_published"], body["reply_rate"], body["computed_at"]) == (0, None, None)
    ReviewFactory(model=ai_model, published=True)
    reply_stats_refresh()
    with django_assert_num_queries(1):
        body = anonymous.client.get(url).json()
    assert (body["reviews_published"], body["reply_rate"]) == (1, 0.0)
    assert body["provider"] == provider_ref("openai", ai_model.provider.name)
    assert anonymous.client.get("/api/v1/providers/nope/reply-stats/").status_code == 404


def test_reply_stats_refresh_runs_hourly_from_beat():
    from config.celery import app as celery_app

    entry = celery_app.conf.beat_schedule["reply-stats-refresh"]
    assert entry["task"] == reply_stats_refresh_task.name
    assert entry["options"]["expires"] < 3600
