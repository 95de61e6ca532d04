"""One model version, one name: aliases and the undated slug resolve to the canonical dated
slug on write, in the list filter and in the data migration; the model page lists the
versions with their review counts (issue 15, item 7)."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import ModelRatingState, Review, ReviewRevision
from reviews.ratings import rating_recompute
from tests.conftest import make_user
from tests.factories import ModelAliasFactory, ReviewFactory
from tests.reviews.conftest import review_payload, reviews_url

pytestmark = pytest.mark.django_db
DATED = "openai/o4-mini-2025-04-16"


@pytest.mark.parametrize(
    "sent",
    [
        "openai/o4-mini",
        DATED,
        "OpenAI/O4-Mini",
        "openai/o4-mini:batch",
        f"{DATED}:flex",
        "~openai/o-mini-latest",
        "~OpenAI/o-mini-latest:batch",
    ],
)
def test_every_name_of_the_current_version_is_stored_as_the_dated_slug(ai_model, verified, sent):
    ModelAliasFactory(model=ai_model, slug="~openai/o-mini-latest")
    response = verified.client.post(
        reviews_url(ai_model), review_payload(model_version=sent), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["model_version"] == DATED
    review = Review.objects.get(public_id=response.json()["id"])
    assert review.revisions.get().model_version == DATED


def test_an_edit_naming_the_undated_slug_keeps_one_version(ai_model, author, create_review):
    from reviews.services import review_update

    review = create_review(author)
    review = review_update(
        review=review, author=author, changes={"model_version": "openai/o4-mini"}
    )
    assert review.model_version == DATED


def test_the_unknown_version_error_lists_canonical_versions_only(ai_model, verified):
    response = verified.client.post(
        reviews_url(ai_model), review_payload(model_version="openai/gpt-5"), format="json"
    )
    assert response.json()["code"] == "model_version_unknown"
    assert response.json()["fields"]["model_version"] == [
        f"'openai/gpt-5' is not a known version of this model; use one of ['{DATED}']."
    ]


def test_rating_and_model_page_show_one_version_with_its_review_count(
    ai_model, create_review, publish, anonymous
):
    # given reviews naming the current version two ways, and one of an earlier version
    for version in ("openai/o4-mini", DATED):
        publish(create_review(make_user(), model_version=version))
    ReviewFactory(model=ai_model, published=True, model_version="openai/o4-mini-2025-01-31")
    rating_recompute(ai_model.pk)

    rating = anonymous.client.get(f"/api/v1/models/{ai_model.slug}/rating/").json()
    page = anonymous.client.get(f"/api/v1/models/{ai_model.slug}/").json()

    assert [(v["model_version"], v["review_count"]) for v in rating["versions"]] == [
        ("openai/o4-mini-2025-01-31", 1), (DATED, 2),
    ]  # fmt: skip
    assert page["versions"] == [
        {"slug": DATED, "current": True, "review_count": 2},
        {"slug": "openai/o4-mini-2025-01-31", "current": False, "review_count": 1},
    ]


def test_model_page_of_an_unreviewed_model_lists_its_current_version(ai_model, anonymous):
    page = anonymous.client.get(f"/api/v1/models/{ai_model.slug}/").json()
    assert page["versions"] == [{"slug": DATED, "current": True, "review_count": 0}]


def test_migration_rewrites_undated_and_alias_versions_and_marks_the_rating_stale(ai_model):
    # given rows written before versions were normalised
    ModelAliasFactory(model=ai_model, slug="~openai/o-mini-latest")
    undated = ReviewFactory(model=ai_model, published=True, model_version="openai/o4-mini")
    alias = ReviewFactory(model=ai_model, published=True, model_version="~openai/o-mini-latest")
    ReviewRevision.objects.create(review=undated, number=1, rating=4, title="t", body="b",
                                  model_version="openai/o4-mini")  # fmt: skip
    earlier = ReviewFactory(model=ai_model, published=True, model_version="openai/o4-mini-2025-01")
    migration = importlib.import_module("reviews.migrations.0003_model_version_canonical")

    migration._canonical_versions(apps, None)

    versions = dict(Review.objects.values_list("pk", "model_version"))
    assert versions == {undated.pk: DATED, alias.pk: DATED, earlier.pk: "openai/o4-mini-2025-01"}
    assert undated.revisions.get().model_version == DATED
    state = ModelRatingState.objects.get(model=ai_model)
    assert (state.stale, state.change_seq) == (True, 1)


def test_a_version_whose_name_has_a_colon_is_kept_whole(ai_model, author, create_review):
    # given an earlier version named with a colon (not a variant of the current one)
    create_review(author)
    Review.objects.update(model_version="openai/o4-mini:2025-01")
    # when someone names it, it stays that version
    from reviews.selectors import review_version_canonical

    assert review_version_canonical(ai_model, "openai/o4-mini:2025-01") == "openai/o4-mini:2025-01"


def test_a_review_of_the_current_version_never_lists_the_models_versions(ai_model, verified):
    # given a model whose reviews named other versions before (listing them scans every
    # review of the model: 0.4 s for a model with 140,000 reviews, on each new review)
    ReviewFactory(model=ai_model, published=True, model_version="openai/o4-mini-2025-01")
    # when a review names the current version, or none
    with CaptureQueriesContext(connection) as queries:
        response = verified.client.post(reviews_url(ai_model), review_payload(), format="json")
    # then it is written without reading the distinct versions of the model's reviews
    assert response.status_code == 201, response.json()
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"]]
