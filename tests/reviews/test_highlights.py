"""What reviewers say (reviews.ratings.highlights): phrases, trigram grouping on PostgreSQL
and its Python port, the minimum of counted reviews, best-for, the task after a recompute,
and the model page showing it (its pre-rendered document invalidated)."""

from typing import Any

import pytest
from django.db import connection

from reviews.models import ModelReviewHighlights, ReviewStatus
from reviews.ratings import rating_recompute
from reviews.ratings.highlights import (
    phrase_groups,
    phrases_of,
    review_highlights_refresh,
    trigram_similarity,
)
from reviews.tasks import rating_recompute_task
from tests.factories import AIModelFactory, ReviewFactory

pytestmark = pytest.mark.django_db
OVERLAPPING = [
    ("Fast responses, cheap", "Hallucinates APIs"),
    ("Very fast responses; good at code", "hallucinates an API now and then"),
    ("fast response times\nGood at coding", "Small context"),
    ("Cheap", "Hallucinates APIs sometimes"),
]


def _reviews(model: Any, texts: list[tuple[str, str]], **fields: Any) -> list[Any]:
    return [
        ReviewFactory(model=model, published=True, pros=pros, cons=cons, **fields)
        for pros, cons in texts
    ]


def _page(api_client, model) -> dict[str, Any]:
    response = api_client.get(f"/api/v1/models/{model.slug}/")
    assert response.status_code == 200
    return response.json()


def test_phrases_of_splits_at_lines_bullets_semicolons_commas_and_sentences():
    text = "Fast, cheap; great at code.\n- Good docs! • Tiny\n\nok"
    assert phrases_of(text) == ["Fast", "cheap", "great at code", "Good docs", "Tiny"]


def test_phrases_of_drops_too_short_too_long_and_repeated_phrases():
    assert phrases_of("ab, " + "x" * 121 + ", fast, fast") == ["fast"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("fast responses", "very fast responses"),
        ("Hallucinates APIs", "hallucinates an API now and then"),
        ("cheap", "expensive"),
        ("Good at code!", "good at coding"),
        ("", "x"),
    ],
)
def test_trigram_similarity_port_equals_pg_trgm(a, b):
    # given PostgreSQL's pg_trgm (the extension the reviews migrations install)
    if connection.vendor != "postgresql":
        pytest.skip("compares with pg_trgm: PostgreSQL only (make test-sqlite runs the rest)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity(%s, %s)", [a, b])
        expected = cursor.fetchone()[0]
    # then the SQLite fallback computes the same score
    assert trigram_similarity(a, b) == pytest.approx(expected, abs=1e-6)


def test_phrase_groups_groups_similar_phrases_and_counts_distinct_reviews():
    # given three reviews saying "fast" in three ways, one saying it twice, two "cheap"
    cited = [
        ("Fast responses", "r1"), ("fast responses", "r1"), ("Very fast responses", "r2"),
        ("fast response times", "r3"), ("Cheap", "r1"), ("cheap", "r4"),
        ("Good docs", "r5"),
    ]  # fmt: skip
    # when
    groups, method = phrase_groups(cited, threshold=0.45)
    # then the most cited group first, with each review once
    assert method == ("pg_trgm" if connection.vendor == "postgresql" else "trigram")
    assert [(g["count"], sorted(g["reviews"])) for g in groups] == [
        (3, ["r1", "r2", "r3"]),
        (2, ["r1", "r4"]),
        (1, ["r5"]),
    ]
    assert groups[0]["text"] == "Fast responses"  # the shortest of the most cited
    assert set(groups[0]["phrases"]) == {
        "Fast responses",
        "Very fast responses",
        "fast response times",
    }


def test_phrase_groups_fallback_on_sqlite_groups_the_same(monkeypatch):
    # given the backend reports SQLite (make run's default database)
    cited = [("Fast responses", "r1"), ("Very fast responses", "r2"), ("Cheap", "r3")]
    on_postgres, _ = phrase_groups(cited, threshold=0.45)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    # when
    on_sqlite, method = phrase_groups(cited, threshold=0.45)
    # then the Python port groups exactly as pg_trgm did
    assert method == "trigram"
    assert on_sqlite == on_postgres


def test_refresh_stores_most_cited_strengths_and_limitations_with_review_links(
    api_client, settings
):
    # given four published reviews with overlapping pros and cons
    settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS = 3
    model = AIModelFactory()
    reviews = _reviews(model, OVERLAPPING)
    # when
    assert review_highlights_refresh(model.pk) is True
    # then
    block = _page(api_client, model)["from_reviews"]
    assert block["available"] is True
    assert block["label"] == "From 4 verified reviews"
    assert block["review_count"] == 4
    top = block["strengths"][0]
    assert "fast" in top["text"].lower()
    assert top["count"] == 3
    cited = {str(r.public_id) for r in reviews[:3]}
    assert {link["id"] for link in top["reviews"]} == cited
    assert all(link["url"].endswith(f"/api/v1/reviews/{link['id']}/") for link in top["reviews"])
    assert {(p["count"], p["text"].lower()) for p in block["strengths"]} >= {(2, "cheap")}
    assert block["limitations"][0]["count"] == 3
    assert "hallucinates" in block["limitations"][0]["text"].lower()
    # a point only one review makes is not shown ("Small context")
    assert all(p["count"] >= 2 for p in block["limitations"])


def test_refresh_counts_only_counted_reviews_and_needs_the_minimum(api_client, settings):
    # given two published reviews and two that do not count (pending, conflicted)
    settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS = 3
    model = AIModelFactory()
    _reviews(model, OVERLAPPING[:2])
    ReviewFactory(model=model, status=ReviewStatus.PENDING, pros="Fast responses")
    ReviewFactory(model=model, published=True, conflict_of_interest=True, pros="Fast")
    # when / then: nothing is drawn, and the page says why
    assert review_highlights_refresh(model.pk) is False
    assert not ModelReviewHighlights.objects.filter(pk=model.pk).exists()
    block = _page(api_client, model)["from_reviews"]
    assert block["available"] is False
    assert block["strengths"] == [] and block["min_reviews"] == 3


def test_refresh_removes_highlights_when_reviews_stop_counting(api_client, settings):
    settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS = 3
    model = AIModelFactory()
    reviews = _reviews(model, OVERLAPPING)
    review_highlights_refresh(model.pk)
    assert _page(api_client, model)["from_reviews"]["available"] is True
    # when two are withdrawn
    for review in reviews[:2]:
        review.status = ReviewStatus.WITHDRAWN
        review.save()
    assert review_highlights_refresh(model.pk) is True
    # then the pre-rendered page no longer shows them
    assert _page(api_client, model)["from_reviews"]["available"] is False


def test_refresh_is_idempotent(settings):
    settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS = 3
    model = AIModelFactory()
    _reviews(model, OVERLAPPING)
    assert review_highlights_refresh(model.pk) is True
    assert review_highlights_refresh(model.pk) is False


def test_best_for_comes_from_use_case_ratings_once_enough_reviews_are_tagged(api_client, settings):
    # given 5 coding reviews at 5 stars and 5 chat reviews at 2 stars (rated use cases)
    settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS = 3
    settings.RATING_USE_CASE_MIN_REVIEWS = 5
    model = AIModelFactory()
    for _ in range(5):
        ReviewFactory(model=model, published=True, use_cases=["coding"], rating=5)
        ReviewFactory(model=model, published=True, use_cases=["chat"], rating=2)
    rating_recompute(model.pk)
    # when
    review_highlights_refresh(model.pk)
    # then the better-rated use case first, from the use-case rating
    best = _page(api_client, model)["from_reviews"]["best_for"]
    assert [(b["use_case"], b["basis"], b["review_count"]) for b in best] == [
        ("coding", "use_case_rating", 5),
        ("chat", "use_case_rating", 5),
    ]
    assert best[0]["name"] == "Coding"
    assert best[0]["bayesian_average"] > best[1]["bayesian_average"]


def test_best_for_falls_back_to_tag_counts_while_no_use_case_is_rated(api_client, settings):
    settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS = 3
    settings.RATING_USE_CASE_MIN_REVIEWS = 5
    model = AIModelFactory()
    for use_cases in (["coding", "agents"], ["coding"], ["agents", "coding"], ["chat"]):
        ReviewFactory(model=model, published=True, use_cases=use_cases)
    rating_recompute(model.pk)
    review_highlights_refresh(model.pk)
    best = _page(api_client, model)["from_reviews"]["best_for"]
    # chat has one tag only: below REVIEW_HIGHLIGHTS_MIN_CITATIONS
    assert [(b["use_case"], b["review_count"], b["basis"]) for b in best] == [
        ("coding", 3, "tag_count"),
        ("agents", 2, "tag_count"),
    ]
    assert best[0]["bayesian_average"] is None


def test_recompute_task_refreshes_highlights_after_the_rating(settings, api_client):
    # given eager tasks (the worker path is covered by the pipeline tests)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS = 3
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        model = AIModelFactory()
        _reviews(model, OVERLAPPING)
        # when the rating pipeline's task runs
        rating_recompute_task(model.pk)
    finally:
        app.conf.task_always_eager = False
    # then the rating and the highlights are stored
    page = _page(api_client, model)
    assert page["rating"]["review_count"] == 4
    assert page["from_reviews"]["strengths"][0]["count"] == 3


def test_daily_rebuild_refreshes_every_model_with_enough_reviews(settings):
    # given two models with enough counted reviews, one stale highlight row without
    settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS = 3
    first, second, emptied = AIModelFactory(), AIModelFactory(), AIModelFactory()
    for model in (first, second, emptied):
        _reviews(model, OVERLAPPING)
    review_highlights_refresh(emptied.pk)
    emptied.reviews.update(status=ReviewStatus.WITHDRAWN)
    from reviews.ratings import ratings_rebuild
    from reviews.ratings.highlights import review_highlights_refresh_all

    ratings_rebuild()
    # when
    changed = review_highlights_refresh_all()
    # then both reviewed models are drawn, and the emptied one's row is gone
    assert changed == 3
    assert set(ModelReviewHighlights.objects.values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
