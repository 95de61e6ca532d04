"""Parity with the seed's model page: every block it shows comes from the API for a model
with imported data and some reviews (cuts of the shipped snapshots, reviews published and
counted through the rating pipeline). One test walks the blocks in the seed's order."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from models_catalog.importers.litellm import LiteLLMImporter
from models_catalog.importers.openrouter import OpenRouterImporter
from models_catalog.models import AIModel
from models_catalog.services import model_update_by_editor
from reviews.ratings import rating_recompute
from reviews.ratings.highlights import review_highlights_refresh
from tests.factories import ReviewFactory
from tests.models_catalog.test_importers import openrouter_records, write_openrouter
from tests.models_catalog.test_routes import _litellm_cut

pytestmark = pytest.mark.django_db
SLUG = "openai/o4-mini"
REVIEWS = [
    ("Fast responses, cheap", "Hallucinates APIs", ["coding"]),
    ("Very fast responses; good at code", "hallucinates an API now and then", ["coding"]),
    ("fast response times\nGood at coding", "Small context", ["coding", "agents"]),
    ("Cheap", "Hallucinates APIs sometimes", ["agents"]),
]
Page = dict[str, Any]


@pytest.fixture
def page(api_client, tmp_path) -> Page:
    """o4-mini's page (with `include=rating,ranks,reviews`) after the imports and reviews."""
    records = openrouter_records(
        SLUG, "openai/o3", "openai/gpt-4.1", "openai/gpt-4.1-mini", "openai/gpt-4o",
        "anthropic/claude-sonnet-4", "google/gemini-2.5-pro", "google/gemini-2.5-flash",
        "openai/gpt-4o-mini", "anthropic/claude-opus-4",
    )  # fmt: skip
    OpenRouterImporter().run(write_openrouter(tmp_path, records))
    LiteLLMImporter().run(_litellm_cut(tmp_path), as_of=dt.date(2026, 11, 29))
    model = AIModel.objects.get(slug=SLUG)
    model.listing_verified = True
    model_update_by_editor(model, [])
    for pros, cons, use_cases in REVIEWS:
        ReviewFactory(model=model, published=True, pros=pros, cons=cons, use_cases=use_cases)
    rating_recompute(model.pk)
    review_highlights_refresh(model.pk)
    response = api_client.get(f"/api/v1/models/{SLUG}/", {"include": "rating,ranks,reviews"})
    assert response.status_code == 200
    return response.json()


def _get(api_client, url: str, **params: Any) -> Page:
    response = api_client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


# Each block of the seed's page: what the API gives for it (falsy: the block is missing).
BLOCKS: dict[str, Callable[[Page, Any], Any]] = {
    "title": lambda p, c: p["name"] and p["provider"]["name"],
    "verified badge": lambda p, c: p["listing_verified"] is True,
    "tagline": lambda p, c: p["overview"]["tagline"]["text"],
    "about": lambda p, c: p["description"],
    "capabilities": lambda p, c: (
        p["input_modalities"]
        and p["output_modalities"]
        and p["context_window"]
        and p["supported_parameters"]
    ),
    "comparison": lambda p, c: _get(c, "/api/v1/compare/", models=f"{SLUG},openai/o3")["rows"],
    "rank": lambda p, c: p["price_tier"]["rank"] and p["included"]["ranks"]["ranks"],
    "sources": lambda p, c: (
        p["sources"]["context_window"]["source"]
        and all(r["source"] and r["as_of"] for r in p["availability"])
    ),
    "best for": lambda p, c: p["from_reviews"]["best_for"][0]["review_count"],
    "strengths": lambda p, c: (
        p["from_reviews"]["strengths"][0]["count"] >= 2
        and p["from_reviews"]["strengths"][0]["reviews"][0]["url"]
    ),
    "limitations": lambda p, c: p["from_reviews"]["limitations"][0]["count"] >= 2,
    "cost": lambda p, c: _get(c, p["links"]["cost"], input_tokens=1000, output_tokens=1000)[
        "total"
    ],
    "quick start": lambda p, c: [r["quick_start"] for r in p["availability"] if r["quick_start"]],
    "verdict": lambda p, c: p["overview"]["verdict"] and p["overview"]["verdict"][0]["facts"],
    "FAQ": lambda p, c: len(p["overview"]["faq"]) >= 5,
    "reviews": lambda p, c: (
        p["included"]["reviews"]["results"]
        and p["included"]["rating"]["review_count"] == len(REVIEWS)
    ),
    "siblings": lambda p, c: p["siblings"],
}


def test_the_api_gives_every_block_of_the_seed_model_page(api_client, page):
    missing = []
    for block, given in BLOCKS.items():
        try:
            value = given(page, api_client)
        except (KeyError, IndexError, TypeError) as error:
            value, block = None, f"{block} ({type(error).__name__}: {error})"
        if not value:
            missing.append(block)
    assert missing == []
    assert len(BLOCKS) == 17  # the seed's blocks, in its order


def test_the_page_says_where_the_model_is_available_with_prices(page):
    routes = {r["key"]: (r["input_per_mtok"], r["output_per_mtok"]) for r in page["availability"]}
    assert routes["openai"] == ("1.10", "4.40")
    assert routes["azure/eu"] == ("1.21", "4.84")
    assert routes["openrouter"] == ("1.10", "4.40")
