"""GET /api/v1/models/{provider}/{model}/: the whole model page, slug resolution, 404s."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from models_catalog.models import Direction, EditorialPoint, Lifecycle, Price, Source
from models_catalog.services import (
    alias_record,
    metric_get_or_create,
    metric_record,
    model_import,
    price_record,
    provider_get_or_create,
)
from tests.factories import (
    AIModelFactory,
    BestForUseCaseFactory,
    EditorialPointFactory,
    FAQEntryFactory,
    ModelFamilyFactory,
)
from tests.references import model_ref

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 8, 18)


def _url(slug: str, name: str = "model-detail") -> str:
    provider, model = slug.split("/", 1)
    return reverse(f"catalog:{name}", kwargs={"provider": provider, "model": model})


@pytest.fixture
def o4_mini():
    """openai/o4-mini as the importers would leave it, plus editorial content."""
    provider, _ = provider_get_or_create(slug="openai", name="OpenAI")
    family = ModelFamilyFactory(provider=provider, slug="o", name="o")
    successor = AIModelFactory(provider=provider, slug="openai/o5", name="OpenAI: o5")
    attributes = {
        "name": "OpenAI: o4 Mini", "description": "Compact reasoning model.",
        "version_slug": "openai/o4-mini-2025-04-16", "context_window": 200_000,
        "max_output_tokens": 100_000, "open_weights": False,
        "knowledge_cutoff": dt.date(2024, 6, 1), "release_date": dt.date(2025, 4, 16),
        "tokenizer": "GPT", "supported_parameters": ["tools", "reasoning"],
        "lifecycle": Lifecycle.DEPRECATED, "deprecation_date": dt.date(2026, 10, 1),
        "successor": successor, "family": family,
    }  # fmt: skip
    model, _ = model_import(
        slug="openai/o4-mini", provider=provider, attributes=attributes,
        source=Source.OPENROUTER, as_of=AS_OF, input_modalities=["file", "image", "text"],
        output_modalities=["text"],
    )  # fmt: skip
    price_record(
        model=model, source=Source.OPENROUTER, as_of=AS_OF, input_per_mtok=Decimal("1.10"),
        output_per_mtok=Decimal("4.40"), cached_input_per_mtok=Decimal("0.275"),
    )  # fmt: skip
    price_record(
        model=model, source=Source.OPENROUTER, as_of=AS_OF, offering="batch",
        input_per_mtok=Decimal("0.55"), output_per_mtok=Decimal("2.20"),
    )  # fmt: skip
    intelligence = metric_get_or_create(
        key="intelligence_index", name="Intelligence index", unit="points",
        direction=Direction.HIGHER_IS_BETTER,
    )  # fmt: skip
    for as_of, value in [(dt.date(2026, 5, 1), "60"), (AS_OF, "65.5")]:
        metric_record(
            model=model, metric=intelligence, value=Decimal(value),
            source=Source.ARTIFICIAL_ANALYSIS, via=Source.OPENROUTER, as_of=as_of,
        )  # fmt: skip
    model.listing_verified = True
    model.editor_verdict = "Cheap and smart."
    model.save()
    BestForUseCaseFactory(model=model, title="Coding agents", text="Tool use.", position=0)
    EditorialPointFactory(model=model, kind=EditorialPoint.Kind.LIMITATION, text="Slow start.")
    EditorialPointFactory(model=model, kind=EditorialPoint.Kind.STRENGTH, text="Cheap.", position=1)
    EditorialPointFactory(model=model, kind=EditorialPoint.Kind.STRENGTH, text="Fast.", position=0)
    FAQEntryFactory(model=model, question="Does it see images?", answer="Yes.")
    AIModelFactory(provider=provider, family=family, slug="openai/o3", name="OpenAI: o3")
    return model


def test_model_detail_returns_the_whole_model_page(api_client, o4_mini):
    # when
    response = api_client.get("/api/v1/models/openai/o4-mini/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "openai/o4-mini"
    assert body["version_slug"] == "openai/o4-mini-2025-04-16"
    assert body["name"] == "OpenAI: o4 Mini"
    assert body["description"] == "Compact reasoning model."
    assert body["provider"] == {
        "slug": "openai", "name": "OpenAI", "url": "http://testserver/api/v1/providers/openai/",
    }  # fmt: skip
    assert body["family"] == {"slug": "o", "name": "o"}
    assert body["input_modalities"] == ["text", "image", "file"]
    assert body["output_modalities"] == ["text"]
    assert (body["context_window"], body["max_output_tokens"]) == (200_000, 100_000)
    assert body["open_weights"] is False
    assert body["parameter_count"] is None
    assert body["knowledge_cutoff"] == "2024-06-01"
    assert body["release_date"] == "2025-04-16"
    assert body["tokenizer"] == "GPT"
    assert body["supported_parameters"] == ["tools", "reasoning"]
    # One lifecycle shape in list and page: the enum; the page adds the date and successor.
    assert body["lifecycle"] == "deprecated"
    assert body["deprecation_date"] == "2026-10-01"
    assert body["successor"] == model_ref("openai/o5", "OpenAI: o5")
    assert body["listing_verified"] is True
    assert body["url"] == "http://testserver/api/v1/models/openai/o4-mini/"
    assert body["links"] == {
        "cost": "http://testserver/api/v1/models/openai/o4-mini/cost/",
        "ranks": "http://testserver/api/v1/models/openai/o4-mini/ranks/",
        "prices": "http://testserver/api/v1/models/openai/o4-mini/prices/",
    }


def test_model_detail_serves_current_price_and_other_offerings(api_client, o4_mini):
    # when
    body = api_client.get(_url("openai/o4-mini")).json()
    # then
    assert body["price"] == {
        "offering": "standard",
        "input_per_mtok": "1.10",
        "output_per_mtok": "4.40",
        "cached_input_per_mtok": "0.275",
        "currency": "USD",
        "source": "openrouter",
        "source_name": "OpenRouter",
        "as_of": "2026-08-18",
    }
    offerings = [
        (offer["offering"], offer["input_per_mtok"], offer["output_per_mtok"])
        for offer in body["offerings"]
    ]
    assert offerings == [("batch", "0.55", "2.20")]
    assert body["offerings"][0]["cached_input_per_mtok"] is None


def test_model_detail_serves_newest_value_per_metric(api_client, o4_mini):
    # when
    metrics = api_client.get(_url("openai/o4-mini")).json()["metrics"]
    # then
    assert metrics == [
        {
            "key": "intelligence_index",
            "name": "Intelligence index",
            "value": "65.5000",
            "unit": "points",
            "direction": "higher",
            "source": "artificial_analysis",
            "source_name": "Artificial Analysis",
            "via": "openrouter",
            "as_of": "2026-08-18",
            "ci_low": None,
            "ci_high": None,
        }
    ]


def test_model_detail_serves_editorial_content_in_order(api_client, o4_mini):
    # when
    editorial = api_client.get(_url("openai/o4-mini")).json()["editorial"]
    # then
    assert editorial == {
        "best_for": [{"title": "Coding agents", "text": "Tool use."}],
        "strengths": ["Fast.", "Cheap."],
        "limitations": ["Slow start."],
        "verdict": "Cheap and smart.",
        "faq": [{"question": "Does it see images?", "answer": "Yes."}],
    }


def test_model_detail_serves_siblings_and_field_sources(api_client, o4_mini):
    # when
    body = api_client.get(_url("openai/o4-mini")).json()
    # then
    assert body["siblings"] == [model_ref("openai/o3", "OpenAI: o3")]
    assert body["sources"]["context_window"] == {"source": "openrouter", "as_of": "2026-08-18"}
    assert body["sources"]["input_modalities"] == {"source": "openrouter", "as_of": "2026-08-18"}
    assert "seen_by" not in body["sources"]


def test_model_detail_does_not_leak_internal_fields(api_client, o4_mini):
    # when
    body = api_client.get(_url("openai/o4-mini")).json()
    text = str(body)
    # then
    assert "id" not in body and "provenance" not in body
    for leak in ("seen_by", "created_at", "updated_at", "recorded_at", "'pk'"):
        assert leak not in text


def test_model_detail_serves_minimal_model_without_price_family_or_metrics(api_client):
    # given a router model with nothing but a slug and name
    model = AIModelFactory(slug="openrouter/auto", name="Auto Router", family=None)
    # when
    body = api_client.get(_url(model.slug)).json()
    # then
    assert body["price"] is None
    assert body["offerings"] == []
    assert body["metrics"] == []
    assert body["family"] is None
    assert body["siblings"] == []
    assert body["sources"] == {}
    assert body["lifecycle"] == "active"
    assert (body["deprecation_date"], body["successor"]) == (None, None)
    assert body["editorial"]["verdict"] == ""


def test_model_detail_resolves_alias_to_target_with_canonical_slug(api_client, o4_mini):
    # given a moving alias
    alias_record(slug="~openai/gpt-latest", model=o4_mini, source=Source.OPENROUTER, as_of=AS_OF)
    # when
    response = api_client.get("/api/v1/models/~openai/gpt-latest/")
    # then
    assert response.status_code == 200
    assert response.json()["slug"] == "openai/o4-mini"


@pytest.mark.parametrize("variant", ["batch", "free", "thinking"])
def test_model_detail_resolves_variant_id_to_base_model(api_client, o4_mini, variant):
    # when
    response = api_client.get(f"/api/v1/models/openai/o4-mini:{variant}/")
    # then
    assert response.status_code == 200
    assert response.json()["slug"] == "openai/o4-mini"


def test_model_detail_prefers_exact_slug_over_variant_resolution(api_client, o4_mini):
    # given a model whose slug itself has a colon and dots
    AIModelFactory(provider=o4_mini.provider, slug="openai/o4-mini:thinking-1.5", name="Think")
    # when
    body = api_client.get("/api/v1/models/openai/o4-mini:thinking-1.5/").json()
    # then
    assert body["slug"] == "openai/o4-mini:thinking-1.5"
    assert body["name"] == "Think"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/openai/nope/",
        "/api/v1/models/nobody/o4-mini/",
        "/api/v1/models/openai/nope:free/",
        "/api/v1/models/openai/:free/",
        "/api/v1/models/~openai/nothing-latest/",
        "/api/v1/models/openai/o4-mini%00/",
        "/api/v1/models/%C3%BC/%F0%9F%A4%96/",
        "/api/v1/models/openai/" + "x" * 5000 + "/",
    ],
)
def test_model_detail_answers_model_not_found_for_unknown_slug(api_client, o4_mini, path):
    # when
    response = api_client.get(path)
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"


def test_model_detail_runs_a_bounded_number_of_queries(
    api_client, o4_mini, django_assert_max_num_queries
):
    # when / then: model, 2 modalities, editorial (3), metrics, offerings, family members,
    # routes, and the price tier's catalog read (prices, image inputs, free offerings)
    with django_assert_max_num_queries(13):
        assert api_client.get(_url("openai/o4-mini")).status_code == 200


def test_model_detail_offering_prefers_newest_price_of_preferred_source(api_client, o4_mini):
    # given a newer batch price, and a litellm batch price that OpenRouter's outranks
    for source, as_of, price in [
        (Source.OPENROUTER, dt.date(2026, 9, 1), "0.50"),
        (Source.LITELLM, dt.date(2026, 10, 1), "0.40"),
    ]:
        price_record(
            model=o4_mini, source=source, as_of=as_of, offering="batch",
            input_per_mtok=Decimal(price), output_per_mtok=Decimal("2"),
        )  # fmt: skip
    # when
    offerings = api_client.get(_url("openai/o4-mini")).json()["offerings"]
    # then
    assert [(o["offering"], o["input_per_mtok"], o["as_of"]) for o in offerings] == [
        ("batch", "0.50", "2026-09-01")
    ]
    assert Price.objects.filter(model=o4_mini, offering="batch").count() == 3
