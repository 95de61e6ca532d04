"""GET /api/v1/models/: `slugs=`, `metrics=`, `metric_range=`, `metric_ordering=`."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from models_catalog.models import Direction, Source
from models_catalog.services import metric_get_or_create, metric_record
from tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db
URL = reverse("catalog:model-list")
AS_OF = dt.date(2026, 8, 18)


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["slug"] for item in response.json()["results"]]


@pytest.fixture
def metrics():
    arena = metric_get_or_create(
        key="arena_text", name="Arena text", unit="Elo", direction=Direction.HIGHER_IS_BETTER
    )
    speed = metric_get_or_create(
        key="output_speed", name="Output speed", unit="tok/s", direction=Direction.HIGHER_IS_BETTER
    )
    return {"arena_text": arena, "output_speed": speed}


def _metric(model, metric, value: str, as_of: dt.date = AS_OF) -> None:
    metric_record(
        model=model, metric=metric, value=Decimal(value), source=Source.LMARENA, as_of=as_of
    )


@pytest.fixture
def catalog(metrics):
    m = {key: AIModelFactory(slug=f"p/{key}") for key in "abcd"}
    arena, speed = metrics["arena_text"], metrics["output_speed"]
    _metric(m["a"], arena, "1300")
    _metric(m["b"], arena, "1250")
    _metric(m["b"], arena, "1400", as_of=dt.date(2025, 1, 1))  # older: not current
    _metric(m["c"], arena, "1350")
    _metric(m["a"], speed, "90")
    return m


def test_model_list_by_slugs_returns_only_those_models(api_client, catalog):
    # when
    response = api_client.get(URL, {"slugs": "p/c,p/a,nobody/none"})
    # then
    assert _slugs(response) == ["p/a", "p/c"]


def test_model_list_includes_named_metrics_with_source_and_date(api_client, catalog):
    # when
    response = api_client.get(URL, {"metrics": "arena_text,output_speed"})
    # then
    items = {i["slug"]: i["metrics"] for i in response.json()["results"]}
    assert [(m["key"], m["value"], m["source"], m["as_of"]) for m in items["p/a"]] == [
        ("arena_text", "1300.0000", "lmarena", "2026-08-18"),
        ("output_speed", "90.0000", "lmarena", "2026-08-18"),
    ]
    assert [m["value"] for m in items["p/b"]] == ["1250.0000"]  # the current value only
    assert items["p/d"] == []


def test_model_list_filters_by_metric_range_on_current_values(api_client, catalog):
    # when / then: b's older 1400 does not count
    assert _slugs(api_client.get(URL, {"metric_range": "arena_text:1260:"})) == ["p/a", "p/c"]
    assert _slugs(api_client.get(URL, {"metric_range": "arena_text:1250:1300"})) == [
        "p/a", "p/b",
    ]  # fmt: skip
    both = {"metric_range": "arena_text::1300,output_speed:0:"}
    response = api_client.get(URL, both)
    assert _slugs(response) == ["p/a"]
    # the named metrics are included
    assert [m["key"] for m in response.json()["results"][0]["metrics"]] == [
        "arena_text", "output_speed",
    ]  # fmt: skip


def test_model_list_orders_by_a_metric_nulls_last(api_client, catalog):
    # when / then
    descending = api_client.get(URL, {"metric_ordering": "-arena_text"})
    assert _slugs(descending) == ["p/c", "p/a", "p/b", "p/d"]
    assert _slugs(api_client.get(URL, {"metric_ordering": "arena_text"})) == [
        "p/b", "p/a", "p/c", "p/d",
    ]  # fmt: skip
    assert descending.json()["results"][0]["metrics"][0]["value"] == "1350.0000"


def test_model_list_metric_ordering_keeps_ordering_as_tiebreak(api_client, catalog, metrics):
    # given: d ties with a
    _metric(catalog["d"], metrics["arena_text"], "1300")
    # when
    response = api_client.get(URL, {"metric_ordering": "-arena_text", "ordering": "-name"})
    # then
    assert _slugs(response) == ["p/c", "p/d", "p/a", "p/b"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metrics": "nope"}, "metrics"),
        ({"metrics": "bad key!"}, "metrics"),
        ({"metrics": ",".join(f"m{i}" for i in range(11))}, "metrics"),
        ({"metric_range": "arena_text:1"}, "metric_range"),
        ({"metric_range": "arena_text:x:"}, "metric_range"),
        ({"metric_range": "arena_text:5:1"}, "metric_range"),
        ({"metric_range": "arena_text:1e999:"}, "metric_range"),
        ({"metric_range": "nope:1:"}, "metric_range"),
        ({"metric_ordering": "-nope"}, "metric_ordering"),
        ({"metric_ordering": "--arena_text"}, "metric_ordering"),
        ({"slugs": ",".join(f"p/{i}" for i in range(101))}, "slugs"),
    ],
)
def test_model_list_rejects_bad_metric_parameters_naming_them(api_client, catalog, params, field):
    # when
    response = api_client.get(URL, params)
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == [field]


def test_model_list_with_metrics_query_count_does_not_grow_with_page_size(
    api_client, metrics, django_assert_num_queries
):
    # given
    for i in range(30):
        model = AIModelFactory()
        _metric(model, metrics["arena_text"], str(1000 + i))
        _metric(model, metrics["output_speed"], str(i))
    params = {"metrics": "output_speed", "metric_range": "arena_text:1005:",
              "metric_ordering": "-arena_text"}  # fmt: skip
    # when / then: metric keys, count, page, 2 modalities, metric values
    for page_size in (5, 25):
        with django_assert_num_queries(6):
            response = api_client.get(URL, {**params, "page_size": page_size})
        assert len(response.json()["results"]) == page_size
