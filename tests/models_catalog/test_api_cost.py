"""GET /api/v1/models/{provider}/{model}/cost/: exact arithmetic, offerings, errors; money."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from models_catalog.api.serializers import MoneyField, money_format
from models_catalog.models import Source
from models_catalog.services import alias_record, price_record
from tests.factories import AIModelFactory, ProviderFactory
from tests.references import ref_of

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 8, 18)


def _url(slug: str) -> str:
    provider, model = slug.split("/", 1)
    return reverse("catalog:model-cost", kwargs={"provider": provider, "model": model})


def _price(model, input_price: str, output_price: str, cached: str | None = None, **kw) -> None:
    price_record(
        model=model, source=Source.OPENROUTER, as_of=AS_OF,
        input_per_mtok=Decimal(input_price), output_per_mtok=Decimal(output_price),
        cached_input_per_mtok=Decimal(cached) if cached else None, **kw,
    )  # fmt: skip


@pytest.fixture
def o4_mini():
    model = AIModelFactory(provider=ProviderFactory(slug="openai"), slug="openai/o4-mini")
    _price(model, "1.10", "4.40", "0.275")
    return model


def _parts(body: dict) -> dict[str, tuple]:
    return {p["part"]: (p["tokens"], p["price_applied"], p["price_per_million"], p["cost"])
            for p in body["parts"]}  # fmt: skip


def test_model_cost_totals_exactly_5_50_for_a_million_tokens_each_way(api_client, o4_mini):
    # when
    response = api_client.get(
        "/api/v1/models/openai/o4-mini/cost/?input_tokens=1000000&output_tokens=1000000"
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == "5.50"
    assert body["model"] == ref_of(o4_mini)
    assert (body["offering"], body["currency"]) == ("standard", "USD")
    assert body["price"] == {
        "input_per_mtok": "1.10",
        "output_per_mtok": "4.40",
        "cached_input_per_mtok": "0.275",
        "currency": "USD",
        "offering": "standard",
        "source": "openrouter",
        "source_name": "OpenRouter",
        "as_of": "2026-08-18",
    }
    assert body["parts"] == [
        {"part": "input", "tokens": 1_000_000, "price_applied": "input",
         "price_per_million": "1.10", "cost": "1.10"},
        {"part": "cached_input", "tokens": 0, "price_applied": "cached_input",
         "price_per_million": "0.275", "cost": "0.00"},
        {"part": "output", "tokens": 1_000_000, "price_applied": "output",
         "price_per_million": "4.40", "cost": "4.40"},
    ]  # fmt: skip


def test_model_cost_is_exact_for_single_tokens(api_client, o4_mini):
    # when
    body = api_client.get(
        _url(o4_mini.slug), {"input_tokens": 1, "cached_input_tokens": 1, "output_tokens": 3}
    ).json()
    # then: 0.0000011 + 0.000000275 + 0.0000132, no rounding
    assert _parts(body)["input"][3] == "0.0000011"
    assert _parts(body)["cached_input"][3] == "0.000000275"
    assert _parts(body)["output"][3] == "0.0000132"
    assert body["total"] == "0.000014575"


def test_model_cost_is_exact_at_the_largest_token_counts(api_client):
    # given the largest price the schema holds
    model = AIModelFactory()
    _price(model, "99999999.999999", "12345678.123456", "0.000001")
    # when
    top = 10**12
    body = api_client.get(
        _url(model.slug), {"input_tokens": top, "cached_input_tokens": top, "output_tokens": top}
    ).json()
    # then
    expected = (
        (Decimal("99999999.999999") + Decimal("12345678.123456") + Decimal("0.000001"))
        * top
        / 1_000_000
    )
    assert Decimal(body["total"]) == expected
    assert body["total"] == "112345678123456.00"


def test_model_cost_with_all_zero_tokens_costs_zero(api_client, o4_mini):
    # when
    body = api_client.get(_url(o4_mini.slug)).json()
    # then
    assert body["total"] == "0.00"
    assert {p["cost"] for p in body["parts"]} == {"0.00"}


def test_model_cost_bills_cached_tokens_at_input_price_without_cached_price(api_client):
    # given a model with no cached-input price
    model = AIModelFactory()
    _price(model, "2", "8")
    # when
    body = api_client.get(_url(model.slug), {"cached_input_tokens": 500_000}).json()
    # then
    assert _parts(body)["cached_input"] == (500_000, "input", "2.00", "1.00")
    assert body["price"]["cached_input_per_mtok"] is None
    assert body["total"] == "1.00"


def test_model_cost_uses_requested_offering(api_client, o4_mini):
    # given a batch offering at half price
    _price(o4_mini, "0.55", "2.20", offering="batch")
    # when
    body = api_client.get(
        _url(o4_mini.slug), {"input_tokens": 10**6, "output_tokens": 10**6, "offering": "batch"}
    ).json()
    # then
    assert (body["offering"], body["total"]) == ("batch", "2.75")


def test_model_cost_for_variant_slug_uses_the_variant_offering(api_client, o4_mini):
    # given a free variant
    _price(o4_mini, "0", "0", offering="free")
    # when
    body = api_client.get("/api/v1/models/openai/o4-mini:free/cost/?input_tokens=1000").json()
    # then
    assert body["model"] == ref_of(o4_mini)
    assert (body["offering"], body["total"]) == ("free", "0.00")


def test_model_cost_resolves_alias(api_client, o4_mini):
    # given
    alias_record(slug="~openai/mini-latest", model=o4_mini, source=Source.OPENROUTER, as_of=AS_OF)
    # when
    body = api_client.get("/api/v1/models/~openai/mini-latest/cost/?output_tokens=1000000").json()
    # then
    assert (body["model"]["slug"], body["total"]) == ("openai/o4-mini", "4.40")


def test_model_cost_answers_price_unavailable_for_unpriced_router(api_client):
    # given a router model with variable pricing (no price recorded)
    model = AIModelFactory(slug="openrouter/auto")
    # when
    response = api_client.get(_url(model.slug), {"input_tokens": 10})
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "price_unavailable"
    assert response.json()["message"]


def test_model_cost_answers_price_unavailable_for_missing_offering(api_client, o4_mini):
    # when: no batch price, asked explicitly and through a variant slug
    explicit = api_client.get(_url(o4_mini.slug), {"offering": "batch"})
    variant = api_client.get("/api/v1/models/openai/o4-mini:batch/cost/")
    # then
    for response in (explicit, variant):
        assert response.status_code == 404
        assert response.json()["code"] == "price_unavailable"


def test_model_cost_answers_model_not_found_for_unknown_model(api_client):
    # when
    response = api_client.get("/api/v1/models/openai/nope/cost/?input_tokens=1")
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"


@pytest.mark.parametrize("param", ["input_tokens", "cached_input_tokens", "output_tokens"])
@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "1e3", str(10**12 + 1), "9" * 2000])
def test_model_cost_rejects_bad_token_count_naming_it(api_client, o4_mini, param, value):
    # when
    response = api_client.get(_url(o4_mini.slug), {param: value})
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == [param]


@pytest.mark.parametrize("value", ["not a slug", "x" * 33, "bätch", "nul\x00"])
def test_model_cost_rejects_bad_offering_naming_it(api_client, o4_mini, value):
    # when
    response = api_client.get(_url(o4_mini.slug), {"offering": value})
    # then
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["offering"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.100000", "1.10"),
        ("0.275000", "0.275"),
        ("5.5", "5.50"),
        ("0.0000011", "0.0000011"),
        ("1E-7", "0.0000001"),
        ("0", "0.00"),
        ("0.000000", "0.00"),
        ("100", "100.00"),
        ("1E+2", "100.00"),
        ("12345678.120000", "12345678.12"),
        ("3.14159", "3.14159"),
    ],
)
def test_money_format_keeps_two_places_and_drops_superfluous_zeros(value, expected):
    # when / then: the function and the serializer field agree
    assert money_format(Decimal(value)) == expected
    assert MoneyField().to_representation(Decimal(value)) == expected
