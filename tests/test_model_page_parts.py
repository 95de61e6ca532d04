"""The model page is composed of parts (models_catalog/api/documents.py): the catalog's part,
kept under the catalog's generation, and the fields other apps render (the rating brief, what
reviewers say, the versions), rendered again whenever the page's own generation moves.

On the real shipped catalog, with reviews, ratings and highlights stored, every model's
composed page equals, byte for byte, the page rendered whole by the serializer (how it was
rendered before the parts); a change of the model's own generation re-renders only the
fields other apps render (one query) and still shows the change; a catalog change
re-renders the catalog's part."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.serializers import Serializer

from config.documents import CATALOG, generations_bump_now, model_generation
from models_catalog import selectors
from models_catalog.api import documents
from models_catalog.api.documents import json_render
from models_catalog.api.serializers import ModelListOutputSerializer, model_list_item
from models_catalog.models import (
    AIModel,
    Metric,
    MetricValue,
    Modality,
    ModelAlias,
    ModelFamily,
    Price,
    Provider,
)
from models_catalog.services import model_update_by_editor
from reviews.ratings import rating_recompute
from reviews.ratings.highlights import review_highlights_refresh
from tests.factories import (
    AIModelFactory,
    ModelFamilyFactory,
    PriceFactory,
    ProviderFactory,
    ReviewFactory,
)
from tests.models_catalog.test_importers import import_shipped

REVIEWED = ["openai/o4-mini", "openai/o3", "anthropic/claude-sonnet-4", "google/gemini-2.5-pro"]
REVIEWS = [
    ("Fast responses, cheap", "Hallucinates APIs", ["coding"]),
    ("Very fast responses; good at code", "hallucinates an API now and then", ["coding"]),
    ("fast response times\nGood at coding", "Small context", ["coding", "agents"]),
    ("Cheap", "Hallucinates APIs sometimes", ["agents"]),
]


@pytest.fixture(scope="module")
def shipped(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The shipped snapshots imported and committed once for the module, removed after it."""
    with django_db_blocker.unblock():
        import_shipped()
    yield
    with django_db_blocker.unblock():
        for table in (Price, MetricValue, ModelAlias, AIModel, ModelFamily, Provider, Metric):
            table.objects.all().delete()
        Modality.objects.all().delete()


@pytest.fixture
def reviewed(shipped: None, db: None) -> list[AIModel]:
    """A few models with published reviews, their ratings and highlights stored (rolled back
    after each test)."""
    models = list(AIModel.objects.filter(slug__in=REVIEWED))
    for i, model in enumerate(models):
        for pros, cons, use_cases in REVIEWS[: i + 1 if i < 3 else None]:
            ReviewFactory(model=model, published=True, pros=pros, cons=cons, use_cases=use_cases)
        rating_recompute(model.pk)
        review_highlights_refresh(model.pk)
    return models


def _request() -> Any:
    return RequestFactory().get("/", HTTP_HOST="testserver")


def test_every_composed_page_equals_the_page_rendered_whole(reviewed: list[AIModel]) -> None:
    slugs = list(AIModel.objects.order_by("slug").values_list("slug", flat=True))
    aliases = list(ModelAlias.objects.order_by("slug").values_list("slug", flat=True)[:10])
    assert len(slugs) > 200 and aliases  # the real catalog
    for slug in [*slugs, *aliases]:
        whole = documents.model_detail_render(_request(), slug)
        composed = documents.model_detail_document(_request(), slug).body
        assert composed == whole, slug
    # The reviewed models carry real slots: a rating, highlights and counted versions.
    page = documents.model_detail_document(_request(), "openai/o4-mini").body
    assert b'"available":true' in page and b'"review_count":4' in page


def test_ranks_equal_their_serializers_render(reviewed: list[AIModel]) -> None:
    # Each render reads the whole catalog: every fourth model and the reviewed ones.
    slugs = list(AIModel.objects.order_by("slug").values_list("slug", flat=True))
    for slug in sorted({*slugs[::4], *REVIEWED}):
        built = documents.model_ranks_document(_request(), slug).body
        assert built == documents.model_ranks_render(_request(), slug), slug


def test_every_list_item_equals_the_generic_walk_over_its_fields(
    reviewed: list[AIModel],
) -> None:
    keys = list(Metric.objects.values_list("key", flat=True))
    models = selectors.model_list_with_metrics(selectors.model_list(), keys)
    context = {"request": _request()}
    serializer = ModelListOutputSerializer(context=context)
    assert keys and len(models) > 200
    for model in models:
        generic = Serializer.to_representation(serializer, model)
        assert json_render(model_list_item(model, context)) == json_render(generic), model.slug
    # The list API renders its items so.
    page = ModelListOutputSerializer(models[:5], many=True, context=context).data
    assert [dict(item) for item in page] == [model_list_item(m, context) for m in models[:5]]


@pytest.fixture
def small(db: None) -> AIModel:
    """A model of a small catalog (the shipped one is not needed to count queries)."""
    provider = ProviderFactory(slug="acme", name="Acme")
    family = ModelFamilyFactory(provider=provider)
    model: Any = AIModelFactory(provider=provider, slug="acme/alpha", family=family)
    AIModelFactory(provider=provider, slug="acme/beta", family=family)
    PriceFactory(model=model, input_per_mtok=Decimal("1.00"), output_per_mtok=Decimal("2.00"))
    ReviewFactory(model=model, published=True)
    rating_recompute(model.pk)
    review_highlights_refresh(model.pk)
    return model


def test_a_rating_rerenders_only_what_other_apps_show(small: AIModel) -> None:
    model = small
    documents.model_detail_document(_request(), model.slug)  # both parts kept
    ReviewFactory(model=model, published=True, rating=1)
    rating_recompute(model.pk)  # bumps the model's generation (its page and bundle)
    generations_bump_now([model_generation(model.slug)])  # as after the commit
    with CaptureQueriesContext(connection) as queries:
        page = documents.model_detail_document(_request(), model.slug).body
    # One query: the model with its rating and highlights; the catalog's part is kept.
    assert len(queries.captured_queries) == 1
    assert page == documents.model_detail_render(_request(), model.slug)
    assert b'"versions":[{"slug":"acme/alpha","current":true,"review_count":2}]' in page


def test_a_catalog_change_rerenders_the_catalogs_part(small: AIModel) -> None:
    model = small
    before = documents.model_detail_document(_request(), model.slug).body
    model.description = "Edited by the editors."
    model_update_by_editor(model, ["description"])  # bumps the catalog's generation
    generations_bump_now([CATALOG])  # as after the commit
    page = documents.model_detail_document(_request(), model.slug).body
    assert page != before and b"Edited by the editors." in page
    assert page == documents.model_detail_render(_request(), model.slug)


def test_highlights_show_in_the_page_after_the_models_generation_moves(small: AIModel) -> None:
    model = small
    before = documents.model_detail_document(_request(), model.slug).body
    assert b'"from_reviews":{"label":"Drawn from verified reviews' in before
    for _ in range(3):
        ReviewFactory(model=model, published=True, pros="Fast responses", cons="Pricey")
    review_highlights_refresh(model.pk)  # its writer bumps the model's generation
    generations_bump_now([model_generation(model.slug)])  # as after the commit
    page = documents.model_detail_document(_request(), model.slug).body
    assert b'"from_reviews":{"label":"From 4 verified reviews"' in page
    assert page == documents.model_detail_render(_request(), model.slug)
