"""Serving ratings: the rating endpoint (fields, ETag, 304, caching), the badge, the
methodology, and the summary embedded in the catalog's list, detail, ordering and ranks."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from reviews.api.rating_serializers import (
    ModelRatingOutputSerializer,
    RatingBriefOutputSerializer,
)
from reviews.models import ModelRating
from reviews.ratings import rating_recompute, ratings_rebuild
from reviews.ratings.cache import rating_cache_fill, rating_render
from reviews.ratings.selectors import model_rating_get
from reviews.ratings.types import RatingSummary, rating_brief
from tests.factories import AIModelFactory, ModelAliasFactory, ReviewFactory

pytestmark = pytest.mark.django_db

SUMMARY_FIELDS = {
    "review_count", "average", "bayesian_average", "lower_bound", "recent_score",
    "distribution", "sub_ratings", "usage_verified_count", "computed_at", "method_version",
    "unusual_activity", "versions", "use_cases",
}  # fmt: skip


def rating_url(model, suffix: str = "rating/") -> str:
    return f"/api/v1/models/{model.slug}/{suffix}"


def _rate(model, *ratings: int, **fields) -> None:
    for value in ratings:
        ReviewFactory(model=model, rating=value, published=True, **fields)
    # The store's after-commit work (the cached response's refresh) runs as on a commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        rating_recompute(model.pk)


def test_rating_endpoint_serves_the_stored_summary(api_client):
    # given a model with three counted reviews, recomputed
    model = AIModelFactory()
    _rate(model, 5, 4, 3, model_version="v1", quality=4)

    # when
    response = api_client.get(rating_url(model))

    # then every field is there, with exact counts
    assert response.status_code == 200
    body = response.json()
    assert set(body) == SUMMARY_FIELDS
    assert (body["review_count"], body["average"]) == (3, 4.0)
    assert body["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert body["sub_ratings"]["quality"] == {"average": 4.0, "count": 3}
    assert body["method_version"] == "1"
    [version] = body["versions"]
    per_model = {"computed_at", "method_version", "unusual_activity", "versions", "use_cases"}
    assert set(version) == SUMMARY_FIELDS - per_model | {"model_version"}
    assert (version["model_version"], version["review_count"]) == ("v1", 3)


def test_rating_of_a_model_never_reviewed_is_zeros_and_nulls(api_client):
    response = api_client.get(rating_url(AIModelFactory()))
    assert response.status_code == 200
    body = response.json()
    assert body["review_count"] == 0
    assert body["average"] is body["bayesian_average"] is body["lower_bound"] is None
    assert body["distribution"] == {str(star): 0 for star in range(1, 6)}
    assert body["sub_ratings"]["speed"] == {"average": None, "count": 0}
    assert (body["computed_at"], body["versions"]) == (None, [])


def test_rating_of_an_unknown_model_is_404_model_not_found(api_client):
    response = api_client.get("/api/v1/models/nobody/nothing/rating/")
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"


def test_rating_resolves_an_alias(api_client):
    alias = ModelAliasFactory()
    _rate(alias.model, 4)
    provider, model = alias.slug.split("/", 1)
    response = api_client.get(f"/api/v1/models/{provider}/{model}/rating/")
    assert response.json()["review_count"] == 1


def test_a_cold_rating_read_is_one_query(api_client, django_assert_num_queries):
    model = AIModelFactory()
    _rate(model, 4)
    cache.clear()  # e.g. after a cache restart
    with django_assert_num_queries(1):
        assert api_client.get(rating_url(model)).status_code == 200


def test_a_warm_rating_read_runs_no_query_and_serves_the_same_body(
    api_client, django_assert_num_queries
):
    model = AIModelFactory()
    _rate(model, 4, 5)
    cold = api_client.get(rating_url(model))
    cache.clear()
    api_client.get(rating_url(model))  # a reader fills the entry
    with django_assert_num_queries(0):
        warm = api_client.get(rating_url(model))
    assert (warm.content, warm["ETag"]) == (cold.content, cold["ETag"])
    assert warm.json()["review_count"] == 2


def test_a_reader_holding_an_older_summary_cannot_replace_a_newer_one(api_client):
    # given a reader rendered the summary of one review, and was slow to keep it
    model = AIModelFactory()
    _rate(model, 4)
    cache.clear()
    older = rating_render(model_rating_get(slug=model.slug))
    # when a recompute stores a newer summary (and refreshes the entry after commit)
    _rate(model, 2)
    # then the slow reader's entry does not replace it
    rating_cache_fill(model.slug, older)
    assert api_client.get(rating_url(model)).json()["review_count"] == 2


def test_rating_is_served_from_the_database_while_the_cache_is_down(api_client, settings):
    model = AIModelFactory()
    _rate(model, 3)
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = api_client.get(rating_url(model))
    assert (response.status_code, response.json()["review_count"]) == (200, 1)


def test_conditional_get_answers_304_and_a_recompute_changes_the_etag(api_client):
    # given a stored summary and its ETag
    model = AIModelFactory()
    _rate(model, 4)
    first = api_client.get(rating_url(model))
    etag = first["ETag"]
    assert set(first["Cache-Control"].split(", ")) == {
        "public",
        "max-age=30",
        "stale-while-revalidate=60",
    }
    assert first["Last-Modified"]

    # when asked again with it: 304, no body, same validators
    again = api_client.get(rating_url(model), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    # when a recompute stores a new summary: a new ETag and a full answer
    _rate(model, 2)
    after = api_client.get(rating_url(model), HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert after["ETag"] != etag
    assert after.json()["review_count"] == 2


def test_badge_is_svg_with_stars_score_and_count_and_an_etag(api_client):
    model = AIModelFactory(name="Fast <Model> & Co")
    _rate(model, 5, 4)
    response = api_client.get(rating_url(model, "badge.svg"), HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg") and "★★★★★" in svg
    assert "4.5 · 2 verified reviews" in svg
    # text is escaped: the name cannot inject markup
    assert "Fast &lt;Model&gt; &amp; Co" in svg and "<Model>" not in svg
    again = api_client.get(rating_url(model, "badge.svg"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_badge_of_an_unrated_model_and_of_an_unknown_one(api_client):
    unrated = api_client.get(rating_url(AIModelFactory(), "badge.svg"))
    assert "no verified reviews yet" in unrated.content.decode()
    response = api_client.get("/api/v1/models/nobody/nothing/badge.svg")
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"


def test_methodology_states_formulas_and_current_parameters(api_client):
    model = AIModelFactory()
    ReviewFactory(model=model, rating=5, published=True)
    ReviewFactory(model=model, rating=2, published=True)
    ratings_rebuild()
    body = api_client.get("/api/v1/ratings/methodology/").json()
    assert body["prior_mean"] == pytest.approx(3.5)
    assert body["prior_review_count"] == 2
    assert (body["prior_weight"], body["half_life_days"], body["z"]) == (7.0, 365.0, 1.65)
    assert body["method_version"] == "1"
    assert "(C·m + Σr) / (C + n)" in body["formulas"]["bayesian_average"]
    assert set(body["formulas"]) >= {"counted", "lower_bound", "recent_score", "prior_mean"}


# --- The catalog embeds the summary --------------------------------------------------------


def test_model_list_and_detail_embed_count_mean_and_bayesian_average(api_client):
    rated, unrated = AIModelFactory(slug="p/rated"), AIModelFactory(slug="p/unrated")
    _rate(rated, 5, 3)
    results = {m["slug"]: m["rating"] for m in api_client.get("/api/v1/models/").json()["results"]}
    row = ModelRating.objects.get(pk=rated.pk)
    assert results["p/rated"] == {
        "review_count": 2, "average": 4.0, "bayesian_average": row.bayesian_average,
        "unusual_activity": None,
    }  # fmt: skip
    assert results["p/unrated"] == {
        "review_count": 0, "average": None, "bayesian_average": None, "unusual_activity": None,
    }  # fmt: skip
    detail = api_client.get(f"/api/v1/models/{rated.slug}/").json()
    assert detail["rating"]["review_count"] == 2
    assert api_client.get(f"/api/v1/models/{unrated.slug}/").json()["rating"]["average"] is None


def _list_queries(api_client, page_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(
            "/api/v1/models/", {"page_size": page_size, "ordering": "-bayesian_average"}
        )
    assert len(response.json()["results"]) == page_size
    return len(queries)


def test_model_list_query_count_does_not_grow_with_rated_rows(api_client):
    # given 50 rated models
    for index in range(50):
        _rate(AIModelFactory(), 1 + index % 5)
    # then pages of 5 and of 50 cost the same number of queries
    assert _list_queries(api_client, 5) == _list_queries(api_client, 50)


def test_model_detail_query_count_is_the_same_with_a_rating(api_client, django_assert_num_queries):
    unrated, rated = AIModelFactory(), AIModelFactory()
    _rate(rated, 4)
    with CaptureQueriesContext(connection) as baseline:
        api_client.get(f"/api/v1/models/{unrated.slug}/")
    with django_assert_num_queries(len(baseline)):
        assert api_client.get(f"/api/v1/models/{rated.slug}/").json()["rating"]["average"] == 4.0


@pytest.fixture
def ranked():
    """Rated models a (many fives), b (one five), c (mixed), and d never reviewed."""
    models = {name: AIModelFactory(slug=f"p/{name}") for name in "abcd"}
    _rate(models["a"], *[5] * 20)
    _rate(models["b"], 5)
    _rate(models["c"], 1, 5, 3)
    ratings_rebuild()
    return models


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-bayesian_average", ["p/a", "p/b", "p/c", "p/d"]),
        ("bayesian_average", ["p/c", "p/b", "p/a", "p/d"]),
        ("-lower_bound", ["p/a", "p/b", "p/c", "p/d"]),
        ("-review_count", ["p/a", "p/c", "p/b", "p/d"]),
        ("review_count", ["p/d", "p/b", "p/c", "p/a"]),
    ],
)
def test_model_list_orders_by_rating_with_unrated_last(api_client, ranked, ordering, expected):
    response = api_client.get("/api/v1/models/", {"ordering": ordering})
    assert [m["slug"] for m in response.json()["results"]] == expected


def test_ranks_include_rating_ranks_for_rated_models_only(api_client, ranked):
    def ranks(model) -> dict:
        body = api_client.get(f"/api/v1/models/{model.slug}/ranks/").json()
        return {(r["category"], r["measure"]): (r["rank"], r["total"]) for r in body["ranks"]}

    assert ranks(ranked["a"])[("all", "bayesian_average")] == (1, 3)
    assert ranks(ranked["c"])[("all", "bayesian_average")] == (3, 3)
    assert ranks(ranked["a"])[("all", "lower_bound")] == (1, 3)
    assert not {key for key in ranks(ranked["d"]) if key[1] in ("bayesian_average", "lower_bound")}


def test_the_cached_body_is_what_the_documented_serializer_gives():
    # given a rich summary (versions, sub-ratings) and a model never reviewed
    rated, unrated = AIModelFactory(), AIModelFactory()
    _rate(rated, 5, 3, model_version="v1", quality=4, speed=2)
    _rate(rated, 4, model_version="v2")
    for model in (rated, unrated):
        view = model_rating_get(slug=model.slug)
        documented = JSONRenderer().render(ModelRatingOutputSerializer(view.rating).data)
        # then the body served from the cache is the same, byte for byte (order included)
        assert rating_render(view).body == documented


def test_the_brief_is_what_the_catalog_list_embeds(api_client):
    # given a rated and an unrated model
    rated = AIModelFactory(slug="p/rated")
    AIModelFactory(slug="p/unrated")
    _rate(rated, 5, 2)
    results = {m["slug"]: m["rating"] for m in api_client.get("/api/v1/models/").json()["results"]}
    # then the brief the ratings package renders is the catalog's embedded rating
    assert rating_brief(ModelRating.objects.get(pk=rated.pk)) == results["p/rated"]
    assert rating_brief(None) == results["p/unrated"]
    assert set(RatingBriefOutputSerializer().fields) == set(results["p/rated"])


def test_the_stored_summary_is_already_in_output_shape():
    # given a summary with versions and sub-ratings
    model = AIModelFactory()
    _rate(model, 5, 3, model_version="v1", quality=4)
    row = ModelRating.objects.get(pk=model.pk)
    summary = RatingSummary.from_row(row)
    # then each stored group reads back as the payload the type renders
    payload = summary.payload()
    assert {k: getattr(row, k) for k in payload if k not in {"versions", "computed_at"}} == {
        k: v for k, v in payload.items() if k not in {"versions", "computed_at"}
    }
    assert [dict(v) for v in row.versions] == payload["versions"]


def test_a_stored_recompute_refreshes_the_cache_only_after_commit(api_client):
    # given a model whose cached rating shows one review
    model = AIModelFactory()
    _rate(model, 4)
    assert api_client.get(rating_url(model)).json()["review_count"] == 1
    # when a recompute stores a second review, but its transaction has not committed
    ReviewFactory(model=model, rating=2, published=True)
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        rating_recompute(model.pk)
    # then the cache still serves the committed summary, until the store's callbacks run
    # (the rating cache's refresh, then the documents' generation bump)
    assert api_client.get(rating_url(model)).json()["review_count"] == 1
    for callback in callbacks:
        callback()
    assert api_client.get(rating_url(model)).json()["review_count"] == 2
