"""Writing a review: POST /api/v1/models/{provider}/{model}/reviews/ and `review_create`."""

import pytest
from django.conf import settings as django_settings

from accounts.exceptions import EmailNotVerified
from reviews.exceptions import ReviewAlreadyExists
from reviews.models import ModerationEvent, Review
from reviews.services import ReviewDraft, review_create, review_withdraw
from tests.conftest import make_user
from tests.factories import ModelAliasFactory, ProviderFactory
from tests.references import ref_of
from tests.reviews.conftest import BODY, review_payload, review_url, reviews_url

pytestmark = pytest.mark.django_db

FULL = review_payload(
    sub_ratings={"quality": 5, "speed": 4, "value": 4, "reliability": 3, "integration": 4},
    pros="Fast.",
    cons="Sometimes verbose.",
    use_cases=["coding", "agents"],
    usage={"channel": "api", "months": 3},
    model_version="openai/o4-mini",
)


def test_review_create_answers_201_pending_with_id_and_everything_sent(ai_model, verified):
    response = verified.client.post(reviews_url(ai_model), FULL, format="json")

    assert response.status_code == 201
    body = response.json()
    review = Review.objects.get(public_id=body["id"])
    assert body["status"] == "pending"
    assert body["sub_ratings"] == FULL["sub_ratings"]
    assert body["usage"] == FULL["usage"]
    assert body["use_cases"] == ["coding", "agents"]
    # the undated slug sent names the current version: stored as its canonical dated slug
    assert body["model_version"] == "openai/o4-mini-2025-04-16"
    assert body["author"] == {
        "username": verified.user.username,
        "display_name": verified.user.display_name,
        "profile_url": f"http://testserver/api/v1/users/{verified.user.username}/",
    }
    # the model as a reference object, the review's own absolute url, which Location names
    assert body["model"] == ref_of(ai_model)
    assert body["url"] == f"http://testserver/api/v1/reviews/{body['id']}/" == response["Location"]
    assert verified.user.email not in response.content.decode()
    assert (review.author, review.model, review.status) == (verified.user, ai_model, "pending")


def test_review_create_answers_what_its_author_then_reads(ai_model, verified):
    # given an affiliated author (the conflict shows to them) with a published review of
    # another model (the reviewer facts count it)
    from tests.factories import AIModelFactory, ReviewFactory

    ReviewFactory(author=verified.user, model=AIModelFactory(), published=True)
    verified.user.affiliation = ai_model.provider.slug
    verified.user.save()
    # when the author writes a review, then reads it back
    created = verified.client.post(reviews_url(ai_model), FULL, format="json").json()
    read = verified.client.get(review_url(created["id"])).json()
    # then the answer (built without reading the row back) is what the read shows
    assert {key: created[key] for key in read} == read
    assert read["reviewer"]["published_reviews"] == 1 and read["conflict_of_interest"] is True
    assert read["viewer"] == {"is_author": True, "vote": None, "reported": False}
    assert (created["has_pending_edit"], created["pending_edit"]) == (False, None)
    assert created["last_moderation"] is None


def test_review_create_writes_revision_one_and_a_submit_event(ai_model, author, create_review):
    review = create_review(author)
    [revision] = review.revisions.all()
    assert (revision.number, revision.state, revision.body) == (1, "pending", BODY)
    [event] = ModerationEvent.objects.filter(review=review)
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "submit", author, "", "pending",
    )  # fmt: skip


def test_review_create_defaults_the_version_to_the_canonical_one(ai_model, verified):
    response = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    assert response.json()["model_version"] == "openai/o4-mini-2025-04-16"


def test_review_create_rejects_a_version_the_model_never_had(ai_model, verified):
    payload = review_payload(model_version="openai/gpt-5")
    response = verified.client.post(reviews_url(ai_model), payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "model_version_unknown"
    assert "model_version" in response.json()["fields"]


def test_review_create_accepts_a_version_an_earlier_review_named(
    ai_model, author, create_review, verified
):
    # given an earlier review written when the canonical version was another one
    create_review(author)
    Review.objects.update(model_version="openai/o4-mini-2025-01-31")
    ai_model.version_slug = "openai/o4-mini-2025-04-16"
    ai_model.save()
    # when someone names that older version
    payload = review_payload(model_version="openai/o4-mini-2025-01-31")
    response = verified.client.post(reviews_url(ai_model), payload, format="json")
    # then it is a known version
    assert response.status_code == 201


def test_review_create_through_an_alias_reviews_the_model(ai_model, verified):
    alias = ModelAliasFactory(model=ai_model, slug="~openai/o-mini-latest")
    response = verified.client.post(f"/api/v1/models/{alias.slug}/reviews/", FULL, format="json")
    assert response.status_code == 201
    assert response.json()["model"] == ref_of(ai_model)


def test_review_create_of_an_unknown_model_is_404(verified):
    response = verified.client.post("/api/v1/models/nope/nothing/reviews/", FULL, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"


def test_review_create_by_an_affiliated_author_is_marked_conflict_of_interest(ai_model):
    author = make_user(affiliation="openai")
    other = make_user(affiliation=ProviderFactory(slug="anthropic").slug)
    draft = ReviewDraft(rating=5, title="Great", body=BODY)
    assert review_create(author=author, model=ai_model, draft=draft).conflict_of_interest
    assert not review_create(author=other, model=ai_model, draft=draft).conflict_of_interest


def test_review_create_rejects_second_review(ai_model, verified):
    first = verified.client.post(reviews_url(ai_model), FULL, format="json")
    second = verified.client.post(reviews_url(ai_model), FULL, format="json")
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "review_exists"
    assert Review.objects.count() == 1


def test_review_create_after_withdrawing_is_allowed(ai_model, author, create_review):
    review_withdraw(review=create_review(author), author=author)
    again = create_review(author)
    assert again.status == "pending"
    assert Review.objects.filter(author=author).count() == 2


def test_review_create_service_refuses_an_unverified_author(ai_model):
    with pytest.raises(EmailNotVerified):
        review_create(
            author=make_user(verified=False),
            model=ai_model,
            draft=ReviewDraft(rating=3, title="t", body=BODY),
        )


def test_review_create_service_second_review_raises_the_typed_error(
    ai_model, author, create_review
):
    create_review(author)
    with pytest.raises(ReviewAlreadyExists):
        create_review(author)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stars": 0}, "stars"),
        ({"stars": 6}, "stars"),
        ({"stars": 4.5}, "stars"),
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"body": "Too short."}, "body"),
        ({"body": " " * 60}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"sub_ratings": {"speed": 9}}, "sub_ratings.speed"),
        ({"use_cases": ["poetry"]}, "use_cases.0"),
        ({"use_cases": ["chat", "chat"]}, "use_cases"),
        ({"usage": {"channel": "telepathy"}}, "usage.channel"),
        ({"usage": {"months": -1}}, "usage.months"),
    ],
)
def test_review_create_rejects_bad_fields_with_400_naming_them(ai_model, verified, change, field):
    response = verified.client.post(reviews_url(ai_model), review_payload(**change), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    # one flat map: a nested field is named by its dotted path (the API contract)
    assert field in response.json()["fields"]


def test_review_create_requires_stars_title_and_body(ai_model, verified):
    response = verified.client.post(reviews_url(ai_model), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"stars", "title", "body"}


def test_review_create_refuses_fields_a_client_may_not_set(ai_model, verified, other_verified):
    # given a body that tries to set status, author, counts, ids and revision history
    forged = dict(
        id="00000000-0000-0000-0000-000000000001",
        public_id="00000000-0000-0000-0000-000000000002",
        status="published",
        author=other_verified.user.pk,
        author_id=other_verified.user.pk,
        helpful_count=999,
        not_helpful_count=5,
        helpfulness=1.0,
        usage_verified=True,
        conflict_of_interest=False,
        has_pending_edit=True,
        published_at="2020-01-01T00:00:00Z",
        revisions=[{"number": 7, "body": "forged"}],
    )
    payload = review_payload(**forged, sub_ratings={"qualty": 4})
    response = verified.client.post(reviews_url(ai_model), payload, format="json")

    # then the whole body is refused (the API contract: unknown fields are a 400, not
    # silently dropped), each unknown key named, a misspelled nested one by its path
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert set(response.json()["fields"]) == {*forged, "sub_ratings.qualty"}
    assert not Review.objects.exists()


def test_review_with_html_is_stored_and_returned_as_the_same_inert_text(
    ai_model, verified, publish
):
    script = "<script>alert('x')</script> <b>bold</b> & <img src=x onerror=alert(1)>"
    payload = review_payload(title=script[:120], body=BODY + "\n" + script, pros=script)
    response = verified.client.post(reviews_url(ai_model), payload, format="json")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["title"], body["body"], body["pros"]) == (
        payload["title"], payload["body"], payload["pros"],
    )  # fmt: skip
    review = Review.objects.get()
    assert review.body == payload["body"]
    publish(review)
    detail = verified.client.get(review_url(review.public_id))
    assert detail.json()["body"] == payload["body"]
    assert detail["Content-Type"] == "application/json"


def test_review_create_is_throttled_per_account(ai_model, verified, settings):
    # given a limit of two reviews a day per account
    rates = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "review_create": "2/day"}
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    models = [
        ai_model,
        *(ProviderFactory(slug=f"p{n}").models.create(slug=f"p{n}/m", name="M") for n in range(2)),
    ]
    statuses = [
        verified.client.post(reviews_url(m), review_payload(), format="json").status_code
        for m in models
    ]
    # then the third POST of the day is refused; reading is not counted
    assert statuses == [201, 201, 429]
    assert verified.client.get(reviews_url(ai_model)).status_code == 200
