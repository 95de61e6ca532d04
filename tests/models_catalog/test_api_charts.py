"""GET /api/v1/charts/?category=&measure=: one body per chart, ranks as `ranks/`, an ETag."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from models_catalog.models import Direction, Source
from models_catalog.services import metric_get_or_create, metric_record, price_record
from tests.factories import AIModelFactory
from tests.references import model_ref

pytestmark = pytest.mark.django_db
URL = reverse("catalog:chart")
AS_OF = dt.date(2026, 8, 18)


def _price(model, input_price: str, output_price: str, as_of: dt.date = AS_OF) -> None:
    price_record(
        model=model, source=Source.OPENROUTER, as_of=as_of,
        input_per_mtok=Decimal(input_price), output_per_mtok=Decimal(output_price),
    )  # fmt: skip


@pytest.fixture
def catalog():
    image = ["text", "image"]
    m = {
        "a": AIModelFactory(slug="p/a", inputs=image),
        "b": AIModelFactory(slug="p/b", inputs=image),
        "c": AIModelFactory(slug="p/c", inputs=image),
        "d": AIModelFactory(slug="p/d", inputs=image),  # no price
        "t": AIModelFactory(slug="p/t", inputs=["text"]),  # not multimodal
    }
    _price(m["a"], "3", "15")
    _price(m["b"], "1", "4.40", as_of=dt.date(2026, 5, 1))
    _price(m["c"], "1", "4.4")
    _price(m["t"], "0.1", "0.2")
    return m


def test_chart_lists_every_model_of_the_category_with_value_source_date_and_rank(
    api_client, catalog
):
    # when
    response = api_client.get(URL, {"category": "multimodal", "measure": "output_price"})
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert {k: body[k] for k in ("category", "measure", "direction", "unit", "total")} == {
        "category": "multimodal", "measure": "output_price", "direction": "lower",
        "unit": "USD per 1M tokens", "total": 3,
    }  # fmt: skip
    assert body["points"] == [
        {"model": model_ref("p/b", "B"), "value": "4.4", "rank": 1, "source": "openrouter",
         "as_of": "2026-05-01"},
        {"model": model_ref("p/c", "C"), "value": "4.4", "rank": 1, "source": "openrouter",
         "as_of": "2026-08-18"},
        {"model": model_ref("p/a", "A"), "value": "15", "rank": 3, "source": "openrouter",
         "as_of": "2026-08-18"},
    ]  # fmt: skip


def test_chart_ranks_equal_the_model_ranks(api_client, catalog):
    # when
    body = api_client.get(URL, {"category": "multimodal", "measure": "output_price"}).json()
    # then
    for point in body["points"]:
        ranks = api_client.get(point["model"]["url"] + "ranks/").json()["ranks"]
        (rank,) = [
            r for r in ranks if (r["category"], r["measure"]) == ("multimodal", "output_price")
        ]
        assert (rank["rank"], rank["total"]) == (point["rank"], body["total"])


def test_chart_of_a_metric_carries_its_source_and_higher_is_better(api_client, catalog):
    # given
    arena = metric_get_or_create(
        key="arena_text", name="Arena text", unit="Elo", direction=Direction.HIGHER_IS_BETTER
    )
    for key, score in [("a", "1250.5"), ("t", "1300")]:
        metric_record(
            model=catalog[key], metric=arena, value=Decimal(score), source=Source.LMARENA,
            as_of=AS_OF,
        )  # fmt: skip
    # when
    body = api_client.get(URL, {"category": "all", "measure": "arena_text"}).json()
    # then
    assert body["unit"] == "Elo"
    assert [(p["model"]["slug"], p["value"], p["rank"], p["source"]) for p in body["points"]] == [
        ("p/t", "1300", 1, "lmarena"),
        ("p/a", "1250.5", 2, "lmarena"),
    ]


def test_chart_answers_304_to_its_etag_and_a_new_etag_after_a_change(api_client, catalog):
    # given
    params = {"category": "all", "measure": "input_price"}
    first = api_client.get(URL, params)
    etag = first.headers["ETag"]
    # when
    again = api_client.get(URL, params, HTTP_IF_NONE_MATCH=etag)
    # then
    assert again.status_code == 304
    assert again.content == b""
    # when: a price changes
    _price(catalog["t"], "0.2", "0.4", as_of=dt.date(2026, 9, 1))
    changed = api_client.get(URL, params, HTTP_IF_NONE_MATCH=etag)
    # then
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"measure": "input_price"}, "category", "validation_error"),
        ({"category": "cheap", "measure": "input_price"}, "category", "validation_error"),
        ({"category": "all"}, "measure", "validation_error"),
        ({"category": "all", "measure": "vibes"}, "measure", "unknown_measure"),
    ],
)
def test_chart_rejects_bad_parameters_naming_them(api_client, catalog, params, field, code):
    # when
    response = api_client.get(URL, params)
    # then
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["fields"]


def test_chart_query_count_does_not_grow_with_the_catalog(
    api_client, catalog, django_assert_num_queries
):
    # given
    params = {"category": "multimodal", "measure": "blended_price"}
    with django_assert_num_queries(4) as few:  # catalog, image inputs, free, metrics
        api_client.get(URL, params)
    for _ in range(10):
        _price(AIModelFactory(inputs=["text", "image"]), "2", "3")
    # then
    with django_assert_num_queries(len(few.captured_queries)):
        response = api_client.get(URL, params)
    assert response.json()["total"] == 13
