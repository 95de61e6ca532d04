"""GET /api/v1/models/: filters, search, ordering, pagination, errors and query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from models_catalog.models import Lifecycle, Source
from models_catalog.services import modalities_get, price_record
from tests.factories import AIModelFactory, ModelFamilyFactory, ProviderFactory

pytestmark = pytest.mark.django_db
URL = reverse("catalog:model-list")
AS_OF = dt.date(2026, 8, 18)


def _price(model, input_price: str, output_price: str, cached: str | None = None) -> None:
    price_record(
        model=model, source=Source.OPENROUTER, as_of=AS_OF,
        input_per_mtok=Decimal(input_price), output_per_mtok=Decimal(output_price),
        cached_input_per_mtok=Decimal(cached) if cached else None,
    )  # fmt: skip


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["slug"] for item in response.json()["results"]]


@pytest.fixture
def catalog():
    """Four models that differ on every filterable attribute."""
    openai = ProviderFactory(slug="openai", name="OpenAI")
    meta = ProviderFactory(slug="meta", name="Meta")
    o_family = ModelFamilyFactory(provider=openai, slug="o", name="o")
    models = {
        "o4": AIModelFactory(
            provider=openai, family=o_family, slug="openai/o4-mini", name="OpenAI: o4 Mini",
            context_window=200_000, open_weights=False, release_date=dt.date(2025, 4, 16),
            inputs=["image", "text", "file"], description="Fast reasoning model.",
        ),
        "o3": AIModelFactory(
            provider=openai, family=o_family, slug="openai/o3", name="OpenAI: o3",
            context_window=200_000, open_weights=False, release_date=None,
            lifecycle=Lifecycle.DEPRECATED, description="Older reasoning model.",
        ),
        "llama": AIModelFactory(
            provider=meta, slug="meta/llama-4", name="Meta: Llama 4", context_window=1_000_000,
            open_weights=True, release_date=dt.date(2025, 4, 5), description="Open weights.",
        ),
        "router": AIModelFactory(
            provider=openai, slug="openai/auto", name="Auto Router", context_window=None,
            open_weights=None, release_date=dt.date(2024, 1, 1), description="Routes requests.",
        ),
    }  # fmt: skip
    _price(models["o4"], "1.10", "4.40", "0.275")
    _price(models["o3"], "2", "8")
    _price(models["llama"], "0.15", "0.6")
    return models


def test_model_list_returns_items_with_explicit_fields(api_client, catalog):
    # when
    response = api_client.get(URL, {"provider": "openai", "family": "o", "ordering": "name"})
    # then
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    item = next(i for i in body["results"] if i["slug"] == "openai/o4-mini")
    assert item == {
        "slug": "openai/o4-mini",
        "name": "OpenAI: o4 Mini",
        "provider": {
            "slug": "openai",
            "name": "OpenAI",
            "url": "http://testserver/api/v1/providers/openai/",
        },
        "family": {"slug": "o", "name": "o"},
        "input_modalities": ["text", "image", "file"],
        "output_modalities": ["text"],
        "context_window": 200_000,
        "max_output_tokens": 16_000,
        "open_weights": False,
        "release_date": "2025-04-16",
        "lifecycle": "active",
        "listing_verified": False,
        "price": {
            "input_per_mtok": "1.10",
            "output_per_mtok": "4.40",
            "cached_input_per_mtok": "0.275",
            "currency": "USD",
        },
        "metrics": [],  # only the metrics a parameter names
        # never reviewed: the reviews app has stored no rating summary
        "rating": {
            "review_count": 0,
            "average": None,
            "bayesian_average": None,
            "unusual_activity": None,
        },
        "url": "http://testserver/api/v1/models/openai/o4-mini/",
    }


def test_model_list_orders_modalities_canonically_then_alphabetically(api_client):
    # given a model whose inputs were stored in an arbitrary order
    model = AIModelFactory(inputs=["video", "zeta", "audio", "embeddings", "text", "image"])
    model.output_modalities.set(modalities_get(["audio", "text"]))
    # when
    item = api_client.get(URL).json()["results"][0]
    # then
    assert item["input_modalities"] == ["text", "image", "audio", "video", "embeddings", "zeta"]
    assert item["output_modalities"] == ["text", "audio"]


def test_model_list_serves_null_price_for_unpriced_model(api_client, catalog):
    # when
    item = api_client.get(URL, {"search": "router"}).json()["results"][0]
    # then
    assert item["slug"] == "openai/auto"
    assert item["price"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"provider": "meta"}, ["meta/llama-4"]),
        ({"family": "o"}, ["openai/o3", "openai/o4-mini"]),
        ({"input_modality": "image"}, ["openai/o4-mini"]),
        ({"open_weights": "true"}, ["meta/llama-4"]),
        ({"open_weights": "false"}, ["openai/o3", "openai/o4-mini"]),
        ({"min_context": "500000"}, ["meta/llama-4"]),
        ({"max_input_price": "1.10"}, ["meta/llama-4", "openai/o4-mini"]),
        ({"max_output_price": "0.6"}, ["meta/llama-4"]),
        ({"lifecycle": "deprecated"}, ["openai/o3"]),
        ({"search": "REASONING"}, ["openai/o3", "openai/o4-mini"]),
        ({"search": "older reasoning"}, ["openai/o3"]),
        ({"search": "llama"}, ["meta/llama-4"]),
        ({"provider": "nobody"}, []),
        ({"provider": "openai", "max_input_price": "5", "min_context": "1"},
         ["openai/o3", "openai/o4-mini"]),
    ],
)  # fmt: skip
def test_model_list_filters_narrow_the_list(api_client, catalog, params, expected):
    # when
    slugs = _slugs(api_client.get(URL, params))
    # then (default order: slug)
    assert slugs == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("input_price", ["meta/llama-4", "openai/o4-mini", "openai/o3", "openai/auto"]),
        ("-input_price", ["openai/o3", "openai/o4-mini", "meta/llama-4", "openai/auto"]),
        ("output_price", ["meta/llama-4", "openai/o4-mini", "openai/o3", "openai/auto"]),
        ("-output_price", ["openai/o3", "openai/o4-mini", "meta/llama-4", "openai/auto"]),
        ("context_window", ["openai/o3", "openai/o4-mini", "meta/llama-4", "openai/auto"]),
        ("-context_window", ["meta/llama-4", "openai/o3", "openai/o4-mini", "openai/auto"]),
        ("release_date", ["openai/auto", "meta/llama-4", "openai/o4-mini", "openai/o3"]),
        ("-release_date", ["openai/o4-mini", "meta/llama-4", "openai/auto", "openai/o3"]),
        ("name", ["openai/auto", "meta/llama-4", "openai/o3", "openai/o4-mini"]),
        ("-name", ["openai/o4-mini", "openai/o3", "meta/llama-4", "openai/auto"]),
        ("-context_window,name", ["meta/llama-4", "openai/o3", "openai/o4-mini", "openai/auto"]),
    ],
)
def test_model_list_ordering_puts_nulls_last_and_breaks_ties_by_slug(
    api_client, catalog, ordering, expected
):
    # when
    slugs = _slugs(api_client.get(URL, {"ordering": ordering}))
    # then
    assert slugs == expected


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("min_context", "abc"),
        ("min_context", "-1"),
        ("min_context", "99999999999999999999"),
        ("min_context", "1e5"),
        ("max_input_price", "1e999"),
        ("max_input_price", "-1"),
        ("max_input_price", "NaN"),
        ("max_input_price", "Infinity"),
        ("max_output_price", "cheap"),
        ("open_weights", "maybe"),
        ("lifecycle", "nope"),
        ("ordering", "bogus"),
        ("ordering", "-slug"),
        ("ordering", "name,provider__slug"),
        ("page_size", "0"),
        ("page_size", "101"),
        ("page_size", "ten"),
        ("search", "x" * 201),
        ("search", "nul\x00byte"),
        ("provider", "nul\x00byte"),
    ],
)
def test_model_list_rejects_bad_parameter_naming_it(api_client, catalog, param, value):
    # when
    response = api_client.get(URL, {param: value})
    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == [param]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "999999999999999999999999"},
        {"cursor": "abc"},
        {"cursor": "-1"},
        {"cursor": ""},
    ],
)
def test_model_list_answers_400_for_a_cursor_it_did_not_issue(api_client, catalog, params):
    # when (the API contract: a bad cursor is a 400 naming it, never 404 "Invalid page.")
    response = api_client.get(URL, params)
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
    assert list(response.json()["fields"]) == ["cursor"]


def test_model_list_cursor_past_the_end_is_400(api_client, catalog):
    # given a cursor to page 2 of 4 models, 3 a page
    cursor = api_client.get(URL, {"page_size": 3}).json()["next"].split("cursor=")[1]
    # when the list is then read 4 a page: that page no longer exists
    response = api_client.get(URL, {"page_size": 4, "cursor": cursor})
    # then
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


def test_model_list_cursor_is_opaque_and_bound_to_its_list(api_client, catalog):
    # given the link to the second page
    link = api_client.get(URL, {"page_size": 1}).json()["next"]
    cursor = link.split("cursor=")[1].split("&")[0]
    # then the page number is not readable in it, and another list refuses it
    assert "2" not in cursor.split("-")[0] or len(cursor) > 40
    other = api_client.get("/api/v1/providers/", {"cursor": cursor})
    assert (other.status_code, other.json()["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(
    "params",
    [
        {"search": "日本語 モデル 🤖"},
        {"provider": "ünïcødé"},
        {"family": "../../etc/passwd"},
        {"input_modality": "' OR 1=1 --"},
        {"max_input_price": "0.0000000001"},
        {"min_context": "0"},
    ],
)
def test_model_list_never_fails_on_odd_but_valid_input(api_client, catalog, params):
    # when
    response = api_client.get(URL, params)
    # then
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


def test_model_list_paginates_with_page_size(api_client, catalog):
    # when the second page is read by following `next`
    first = api_client.get(URL, {"page_size": 3}).json()
    body = api_client.get(first["next"]).json()
    # then
    assert first["count"] == body["count"] == 4
    assert [i["slug"] for i in body["results"]] == ["openai/o4-mini"]
    assert body["next"] is None
    assert body["previous"] == "http://testserver/api/v1/models/?page_size=3"


def test_model_list_is_public(api_client, catalog):
    # when an anonymous client asks; then it is served
    assert api_client.get(URL).status_code == 200


def test_model_list_does_not_leak_internal_fields(api_client, catalog):
    # given a model with bookkeeping in its provenance
    catalog["o4"].provenance = {"seen_by": {"openrouter": "2026-08-18"}}
    catalog["o4"].save()
    # when
    text = api_client.get(URL).content.decode()
    # then
    leaks = ('"id"', "provenance", "seen_by", "created_at", "updated_at", "editor_verdict", "email")
    for leak in leaks:
        assert leak not in text


@pytest.mark.parametrize("page_size", [5, 50])
def test_model_list_query_count_does_not_grow_with_page_size(
    api_client, django_assert_num_queries, page_size
):
    # given 60 priced, multimodal models in families
    for _ in range(60):
        model = AIModelFactory(inputs=["text", "image"], family=ModelFamilyFactory())
        _price(model, "1", "2")
    # when / then: count, page, input and output modalities, whatever the page size
    with django_assert_num_queries(4):
        response = api_client.get(URL, {"page_size": page_size, "ordering": "-input_price"})
    assert len(response.json()["results"]) == page_size
