"""Query budgets of the signed-in writes and reads of the mixed load (issue 14), through the
API as a client sends them (session token): a vote, a report, `/me/`, the moderation queue,
a verification and a new review. Each budget is the count after the write paths were trimmed
(one upsert per vote, the review's id alone loaded before a service locks it, a permission's
answer reused by the service's check, /me/'s facts in one query, the moderation permission
in one query, no savepoint around an outbox record, the open surge asked once, the models
of an author's reviews read with their slugs, a new review answered without a read back);
a new query must be a choice."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import make_user, token_client
from tests.reviews.conftest import moderation_url, review_payload, review_url, reviews_url

pytestmark = pytest.mark.django_db
VOTE_QUERIES = 10
REPORT_QUERIES = 16
ME_QUERIES = 2
QUEUE_QUERIES = 10
VERIFY_QUERIES = 23
CREATE_QUERIES = 17


def test_a_vote_and_a_changed_vote_stay_within_budget(
    published_review: Any, other_verified: Any, django_assert_max_num_queries: Any
) -> None:
    url = review_url(published_review.public_id, "vote/")
    with django_assert_max_num_queries(VOTE_QUERIES):
        first = other_verified.client.put(url, {"helpful": True}, format="json")
    with django_assert_max_num_queries(VOTE_QUERIES):
        changed = other_verified.client.put(url, {"helpful": False}, format="json")
    assert (first.json()["helpful_count"], changed.json()["helpful_count"]) == (1, 0)
    assert changed.json()["not_helpful_count"] == 1


def test_a_report_stays_within_budget(
    published_review: Any, other_verified: Any, django_assert_max_num_queries: Any
) -> None:
    url = review_url(published_review.public_id, "reports/")
    with django_assert_max_num_queries(REPORT_QUERIES):
        response = other_verified.client.post(url, {"reason": "off_topic"}, format="json")
    assert response.status_code == 201, response.content


def test_me_stays_within_budget(verified: Any, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(ME_QUERIES):
        response = verified.client.get("/api/v1/me/")
    assert response.json()["email_verified"] is True


def test_the_moderation_queue_stays_within_budget_whatever_its_length(
    create_review: Callable, moderator: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(2):
        create_review(make_user())
    with django_assert_max_num_queries(QUEUE_QUERIES):
        few = moderator.client.get("/api/v1/moderation/queue/")
    for _ in range(6):
        create_review(make_user())
    with django_assert_max_num_queries(QUEUE_QUERIES):
        more = moderator.client.get("/api/v1/moderation/queue/")
    assert (len(few.json()["results"]), len(more.json()["results"])) == (2, 8)


def test_a_verification_stays_within_budget(
    create_review: Callable, moderator: Any, django_assert_max_num_queries: Any
) -> None:
    # given the model's rating state exists (its first verification creates it: 3 more)
    earlier, review = create_review(make_user()), create_review(make_user())
    moderator.client.post(moderation_url(earlier.public_id, "verify"), {}, format="json")
    with django_assert_max_num_queries(VERIFY_QUERIES):
        response = moderator.client.post(
            moderation_url(review.public_id, "verify"), {}, format="json"
        )
    assert response.json()["status"] == "published"


def test_a_new_review_stays_within_budget(
    ai_model: Any, verified: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(CREATE_QUERIES):
        response = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    assert response.status_code == 201, response.content


def test_me_shows_the_affiliation_and_roles_it_reads_in_one_query(
    moderator: Any, django_assert_max_num_queries: Any
) -> None:
    from models_catalog.models import Provider
    from tests.factories import ProviderFactory

    provider: Any = ProviderFactory(slug="acme", name="Acme")
    user = moderator.user
    user.affiliation = provider.slug
    user.save()
    client = token_client(user)
    with django_assert_max_num_queries(ME_QUERIES):
        body = client.get("/api/v1/me/").json()
    assert body["roles"] == ["moderator"]
    assert body["affiliation"]["slug"] == "acme" and body["affiliation"]["name"] == "Acme"
    Provider.objects.filter(pk=provider.pk).delete()
    assert client.get("/api/v1/me/").json()["affiliation"] is None  # a stale slug reads as none
