"""GET /api/v1/models/{provider}/{model}/prices/: the stored price history, per series."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from models_catalog.models import Source
from models_catalog.services import price_record
from tests.factories import AIModelFactory
from tests.references import ref_of

pytestmark = pytest.mark.django_db


def _url(slug: str) -> str:
    provider, model = slug.split("/", 1)
    return reverse("catalog:model-prices", kwargs={"provider": provider, "model": model})


def _price(model, day: dt.date, i: str, o: str, *, source=Source.OPENROUTER, offering="standard"):
    price_record(
        model=model, source=source, as_of=day, offering=offering,
        input_per_mtok=Decimal(i), output_per_mtok=Decimal(o),
    )  # fmt: skip


@pytest.fixture
def o4_mini():
    model = AIModelFactory(slug="openai/o4-mini")
    _price(model, dt.date(2025, 4, 16), "1.10", "4.40")
    _price(model, dt.date(2025, 9, 1), "1.10", "4.40")  # same price: absorbed, no new row
    _price(model, dt.date(2026, 1, 10), "1.00", "4.00")
    _price(model, dt.date(2025, 5, 1), "1.21", "4.84", source=Source.LITELLM)
    _price(model, dt.date(2025, 6, 1), "0.55", "2.20", offering="batch")
    return model


def test_price_history_lists_every_row_per_offering_and_source_oldest_first(api_client, o4_mini):
    # when
    response = api_client.get(_url("openai/o4-mini"))
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["model"] == ref_of(o4_mini)
    series = [(s["offering"], s["source"]) for s in body["series"]]
    assert series == [("standard", "litellm"), ("standard", "openrouter"), ("batch", "openrouter")]
    openrouter = body["series"][1]
    assert openrouter["source_name"] == "OpenRouter"
    points = [(p["as_of"], p["input_per_mtok"], p["output_per_mtok"]) for p in openrouter["prices"]]
    assert points == [
        ("2025-04-16", "1.10", "4.40"),
        ("2026-01-10", "1.00", "4.00"),
    ]
    assert openrouter["prices"][0]["currency"] == "USD"


def test_price_history_filters_by_date_range_and_offering(api_client, o4_mini):
    # when
    params = {"since": "2025-05-01", "until": "2025-12-31", "offering": "standard"}
    response = api_client.get(_url("openai/o4-mini"), params)
    # then
    assert response.status_code == 200
    rows = [(s["source"], p["as_of"]) for s in response.json()["series"] for p in s["prices"]]
    assert rows == [("litellm", "2025-05-01")]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2025-13-01"}, "until"),
        ({"since": "2026-01-01", "until": "2025-01-01"}, "until"),
        ({"offering": "no spaces"}, "offering"),
    ],
)
def test_price_history_rejects_bad_parameters_naming_them(api_client, o4_mini, params, field):
    # when
    response = api_client.get(_url("openai/o4-mini"), params)
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"]


def test_price_history_of_an_unknown_model_is_404(api_client, db):
    response = api_client.get(_url("nobody/nothing"))
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"


def test_price_history_query_count_does_not_grow_with_history(
    api_client, o4_mini, django_assert_num_queries
):
    # given: many more dated rows
    for month in range(1, 13):
        _price(o4_mini, dt.date(2024, month, 1), f"{month}", "9", source=Source.EDITOR)
    # then: the model, its rows
    with django_assert_num_queries(2):
        response = api_client.get(_url("openai/o4-mini"))
    assert sum(len(s["prices"]) for s in response.json()["series"]) == 4 + 12
