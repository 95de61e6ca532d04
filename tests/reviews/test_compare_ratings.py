"""The rating rows the reviews app adds to the catalog's comparison (through the registry)."""

import pytest
from django.test import TestCase
from django.urls import reverse

from reviews.ratings import rating_recompute
from tests.factories import AIModelFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def _rate(model, *ratings: int, **fields) -> None:
    for value in ratings:
        ReviewFactory(model=model, rating=value, published=True, **fields)
    with TestCase.captureOnCommitCallbacks(execute=True):
        rating_recompute(model.pk)


def test_compare_shows_ratings_and_sub_ratings_side_by_side(api_client):
    # given: a rated 5, 5, 4 (quality 5); b rated 3; c never reviewed
    a, b, _never = (AIModelFactory(slug=f"p/{k}") for k in "abc")
    _rate(a, 5, 5, 4, quality=5)
    _rate(b, 3, quality=2)
    # when
    response = api_client.get(reverse("catalog:compare"), {"models": "p/a,p/b,p/c"})
    # then
    assert response.status_code == 200, response.json()
    rows = {(r["group"], r["key"]): r for r in response.json()["rows"]}
    counts = rows[("ratings", "review_count")]["cells"]
    assert [(cell["value"], cell["better"]) for cell in counts] == [
        ("3", True), ("1", False), ("0", False),
    ]  # fmt: skip
    bayesian = rows[("ratings", "bayesian_average")]["cells"]
    assert [cell["better"] for cell in bayesian] == [True, False, False]
    assert bayesian[2]["value"] is None
    assert bayesian[0]["source"] is None  # computed here, not imported
    quality = rows[("sub_ratings", "quality")]["cells"]
    assert [cell["value"] for cell in quality] == ["5", "2", None]
