"""GET /api/v1/compare/?models=a,b,c: aligned rows, the better value marked, flat queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from models_catalog.models import Direction, Source
from models_catalog.services import metric_get_or_create, metric_record, price_record
from tests.factories import AIModelFactory, ModelAliasFactory

pytestmark = pytest.mark.django_db
URL = reverse("catalog:compare")
AS_OF = dt.date(2026, 8, 18)


def _price(model, i: str, o: str, cached: str | None = None) -> None:
    price_record(
        model=model, source=Source.OPENROUTER, as_of=AS_OF, input_per_mtok=Decimal(i),
        output_per_mtok=Decimal(o), cached_input_per_mtok=Decimal(cached) if cached else None,
    )  # fmt: skip


@pytest.fixture
def catalog():
    arena = metric_get_or_create(
        key="arena_text", name="Arena text", unit="Elo", direction=Direction.HIGHER_IS_BETTER
    )
    m = {
        "a": AIModelFactory(slug="p/a", context_window=200_000, open_weights=True),
        "b": AIModelFactory(slug="p/b", context_window=1_000_000, open_weights=False),
        "c": AIModelFactory(slug="p/c", context_window=1_000_000, open_weights=None),
    }
    _price(m["a"], "1.10", "4.40", "0.275")
    _price(m["b"], "3", "15")
    metric_record(
        model=m["a"], metric=arena, value=Decimal("1300"), source=Source.LMARENA, as_of=AS_OF
    )
    metric_record(
        model=m["c"], metric=arena, value=Decimal("1250"), source=Source.LMARENA, as_of=AS_OF
    )
    return m


def _rows(response) -> dict[str, dict]:
    assert response.status_code == 200, response.json()
    return {row["key"]: row for row in response.json()["rows"]}


def _cells(row: dict) -> list[tuple]:
    return [(c["value"], c["better"]) for c in row["cells"]]


def test_compare_returns_aligned_rows_in_the_order_asked(api_client, catalog):
    # when
    response = api_client.get(URL, {"models": "p/c,p/a,p/b"})
    # then
    rows = _rows(response)
    assert [m["slug"] for m in response.json()["models"]] == ["p/c", "p/a", "p/b"]
    assert all(len(row["cells"]) == 3 for row in rows.values())
    assert {row["group"] for row in rows.values()} >= {"specs", "prices", "metrics", "ratings"}
    # higher is better, ties both marked
    assert _cells(rows["context_window"]) == [
        ("1000000", True), ("200000", False), ("1000000", True),
    ]  # fmt: skip
    # no direction: nothing marked
    assert _cells(rows["open_weights"]) == [(None, False), ("true", False), ("false", False)]
    assert rows["open_weights"]["direction"] is None
    # lower is better; a model without a price has no value and is not marked
    assert _cells(rows["input_price"]) == [(None, False), ("1.1", True), ("3", False)]
    assert rows["input_price"]["cells"][1]["source"] == "openrouter"
    assert rows["input_price"]["cells"][1]["as_of"] == "2026-08-18"
    # metrics the models have, with their source
    assert _cells(rows["arena_text"]) == [("1250", False), ("1300", True), (None, False)]
    assert rows["arena_text"]["cells"][0]["source"] == "lmarena"
    assert rows["arena_text"]["direction"] == "higher"


def test_compare_prices_the_same_request_for_each_model(api_client, catalog):
    # when: 2M input, 1M cached (a has a cached price, b is billed at its input price), 0.5M out
    params = {"models": "p/a,p/b", "input_tokens": 2_000_000,
              "cached_input_tokens": 1_000_000, "output_tokens": 500_000}  # fmt: skip
    response = api_client.get(URL, params)
    # then
    cost = _rows(response)["cost"]
    assert _cells(cost) == [("4.675", True), ("16.5", False)]
    assert response.json()["tokens"] == {
        "input_tokens": 2_000_000, "cached_input_tokens": 1_000_000, "output_tokens": 500_000,
    }  # fmt: skip


def test_compare_resolves_aliases_and_shows_canonical_slugs(api_client, catalog):
    # given
    ModelAliasFactory(slug="~p/latest", model=catalog["b"])
    # when
    response = api_client.get(URL, {"models": "p/a,~p/latest"})
    # then
    assert [m["slug"] for m in response.json()["models"]] == ["p/a", "p/b"]


@pytest.mark.parametrize(
    "models",
    ["p/a", "p/a,p/b,p/c,p/d,p/e,p/f", "p/a,p/a", "p/a,,p/b", ""],
)
def test_compare_rejects_a_bad_model_list_naming_it(api_client, catalog, models):
    # when
    response = api_client.get(URL, {"models": models})
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["models"]


def test_compare_rejects_bad_token_counts(api_client, catalog):
    response = api_client.get(URL, {"models": "p/a,p/b", "output_tokens": "-1"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["output_tokens"]


def test_compare_of_an_unknown_model_is_404_naming_it(api_client, catalog):
    # when
    response = api_client.get(URL, {"models": "p/a,nobody/none"})
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"
    assert "nobody/none" in response.json()["fields"]["models"][0]


def test_compare_query_count_does_not_grow_with_the_models_compared(
    api_client, catalog, django_assert_num_queries
):
    # given
    more = [AIModelFactory(slug=f"q/{i}") for i in range(2)]
    for model in more:
        _price(model, "1", "2")
    # when / then: models, 2 modalities, current metrics; the same for 2 and 5 models
    for slugs in ("p/a,p/b", "p/a,p/b,p/c,q/0,q/1"):
        with django_assert_num_queries(4):
            api_client.get(URL, {"models": slugs})
