"""The reader's own state on review representations, the 409 that names the existing
review, `/me/reviews/?model=` and `Location` on 201 (issue 15, items 6 and 8)."""

import pytest

from tests.conftest import make_user, token_client
from tests.factories import (
    AIModelFactory,
    HelpfulVoteFactory,
    ModelAliasFactory,
    ReportFactory,
    ReviewFactory,
)
from tests.reviews.conftest import review_payload, review_url, reviews_url

pytestmark = pytest.mark.django_db


def _by_id(response) -> dict:
    assert response.status_code == 200, response.json()
    return {row["id"]: row for row in response.json()["results"]}


def test_viewer_is_null_for_an_anonymous_reader(published_review, anonymous):
    body = anonymous.client.get(review_url(published_review.public_id)).json()
    assert body["viewer"] is None
    [row] = anonymous.client.get(reviews_url(published_review.model)).json()["results"]
    assert row["viewer"] is None


def test_viewer_shows_the_readers_vote_and_report_in_list_and_detail(ai_model, verified):
    # given three published reviews: one voted helpful, one voted not helpful and reported,
    # one the reader wrote
    helpful, unhelpful = (ReviewFactory(model=ai_model, published=True) for _ in range(2))
    own = ReviewFactory(model=ai_model, published=True, author=verified.user)
    HelpfulVoteFactory(review=helpful, voter=verified.user, helpful=True)
    HelpfulVoteFactory(review=unhelpful, voter=verified.user, helpful=False)
    ReportFactory(review=unhelpful, reporter=verified.user)
    # and someone else's vote and report, which must not show as the reader's
    HelpfulVoteFactory(review=own, voter=make_user(), helpful=True)
    ReportFactory(review=helpful, reporter=make_user())

    rows = _by_id(verified.client.get(reviews_url(ai_model)))

    assert rows[str(helpful.public_id)]["viewer"] == {
        "is_author": False, "vote": True, "reported": False,
    }  # fmt: skip
    assert rows[str(unhelpful.public_id)]["viewer"] == {
        "is_author": False, "vote": False, "reported": True,
    }  # fmt: skip
    assert rows[str(own.public_id)]["viewer"] == {
        "is_author": True, "vote": None, "reported": False,
    }  # fmt: skip
    detail = verified.client.get(review_url(unhelpful.public_id)).json()
    assert detail["viewer"] == rows[str(unhelpful.public_id)]["viewer"]


@pytest.mark.parametrize("page_size", [2, 10])
def test_viewer_state_keeps_the_list_query_count_constant(
    ai_model, verified, page_size, django_assert_num_queries
):
    for _ in range(10):
        review = ReviewFactory(model=ai_model, published=True, author=make_user())
        HelpfulVoteFactory(review=review, voter=verified.user, helpful=True)
        ReportFactory(review=review, reporter=verified.user)
    # the user (the token's session comes from the cache: cached_db sessions), the model with
    # its provider, then the list's count, the page with authors and the reader's votes and
    # reports as subqueries, the replies
    with django_assert_num_queries(5):
        response = verified.client.get(f"{reviews_url(ai_model)}?page_size={page_size}")
    rows = response.json()["results"]
    assert len(rows) == page_size
    assert {row["viewer"]["vote"] for row in rows} == {True}


def test_own_reviews_list_and_write_answers_carry_the_viewer(ai_model, verified):
    created = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    assert created.json()["viewer"] == {"is_author": True, "vote": None, "reported": False}
    [mine] = verified.client.get("/api/v1/me/reviews/").json()["results"]
    assert mine["viewer"]["is_author"] is True


def test_moderation_view_has_no_viewer_state(published_review, moderator):
    ReportFactory(review=published_review)
    published_review.queued_at = published_review.created_at
    published_review.save()
    [item] = moderator.client.get("/api/v1/moderation/queue/").json()["results"]
    assert "viewer" not in item


def test_second_review_409_names_the_existing_review(ai_model, verified):
    first = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    second = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    assert second.status_code == 409
    body = second.json()
    assert (body["code"], body["existing_review"]) == ("review_exists", first.json()["id"])
    assert set(body) == {"code", "message", "existing_review"}


def test_my_reviews_filter_by_model_slug_or_alias(ai_model, verified):
    other = AIModelFactory()
    mine = ReviewFactory(model=ai_model, author=verified.user)
    ReviewFactory(model=other, author=verified.user)
    alias = ModelAliasFactory(model=ai_model, slug="~openai/o-mini-latest")
    for slug in (ai_model.slug, alias.slug):
        response = verified.client.get("/api/v1/me/reviews/", {"model": slug})
        assert list(_by_id(response)) == [str(mine.public_id)]
    assert len(verified.client.get("/api/v1/me/reviews/").json()["results"]) == 2


def test_my_reviews_unknown_model_is_a_400_naming_it(verified):
    response = verified.client.get("/api/v1/me/reviews/", {"model": "nope/nothing"})
    assert (response.status_code, list(response.json()["fields"])) == (400, ["model"])


def test_review_create_answers_201_with_location_of_the_review(ai_model, verified):
    response = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location == f"http://testserver/api/v1/reviews/{response.json()['id']}/"
    assert verified.client.get(location).json()["id"] == response.json()["id"]


def test_report_create_answers_201_with_location_of_the_report(published_review, verified):
    url = review_url(published_review.public_id, "reports/")
    response = verified.client.post(url, {"reason": "spam"}, format="json")
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location == f"http://testserver/api/v1/me/reports/{published_review.public_id}/"
    report = verified.client.get(location).json()
    assert (report["review"], report["state"]) == (str(published_review.public_id), "open")


def test_every_201_in_the_schema_declares_location(anonymous):
    schema = anonymous.client.get("/api/schema/?format=json").json()
    created = [
        (path, method, operation["responses"]["201"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "201" in operation.get("responses", {})
    ]
    assert len(created) >= 2
    for path, method, response in created:
        assert "Location" in response.get("headers", {}), (path, method)


def test_other_reader_of_a_pending_review_gets_404_not_a_viewer(ai_model, verified):
    pending = ReviewFactory(model=ai_model, author=make_user())
    assert token_client(verified.user).get(review_url(pending.public_id)).status_code == 404
