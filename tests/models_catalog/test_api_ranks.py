"""GET /api/v1/models/{provider}/{model}/ranks/: categories, measures, ties, missing values."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from models_catalog.models import Direction, Source
from models_catalog.services import metric_get_or_create, metric_record, price_record
from tests.factories import AIModelFactory
from tests.references import ref_of

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 8, 18)


def _url(slug: str) -> str:
    provider, model = slug.split("/", 1)
    return reverse("catalog:model-ranks", kwargs={"provider": provider, "model": model})


def _price(model, input_price: str, output_price: str, offering: str = "standard") -> None:
    price_record(
        model=model, source=Source.OPENROUTER, as_of=AS_OF, offering=offering,
        input_per_mtok=Decimal(input_price), output_per_mtok=Decimal(output_price),
    )  # fmt: skip


def _metric(model, metric, value: str, as_of: dt.date = AS_OF) -> None:
    metric_record(
        model=model, metric=metric, value=Decimal(value), source=Source.LMARENA, as_of=as_of
    )


def _place(rank: dict) -> tuple[int, int]:
    return rank["rank"], rank["total"]


def _ranks(api_client, model) -> dict[tuple[str, str], dict]:
    response = api_client.get(_url(model.slug))
    assert response.status_code == 200, response.json()
    assert response.json()["model"] == ref_of(model)
    return {(r["category"], r["measure"]): r for r in response.json()["ranks"]}


@pytest.fixture
def arena():
    return metric_get_or_create(
        key="arena_text", name="Arena text", unit="Elo", direction=Direction.HIGHER_IS_BETTER
    )


@pytest.fixture
def catalog(arena):
    """Five models: a tie on arena score, one without a score, varied prices and categories."""
    m = {
        "a": AIModelFactory(slug="p/a", context_window=1_000_000, inputs=["text", "image"],
                            supported_parameters=["reasoning", "tools"], open_weights=True),
        "b": AIModelFactory(slug="p/b", context_window=200_000, inputs=["text", "image"]),
        "c": AIModelFactory(slug="p/c", context_window=200_000, open_weights=True),
        "d": AIModelFactory(slug="p/d", context_window=None, supported_parameters=["reasoning"]),
        "e": AIModelFactory(slug="p/e", context_window=8_000, inputs=["text", "image"]),
    }  # fmt: skip
    for key, score in [("a", "1300"), ("b", "1250"), ("c", "1250"), ("e", "1100")]:
        _metric(m[key], arena, score)
    _metric(m["e"], arena, "1400", as_of=dt.date(2025, 1, 1))  # an older, better value
    for key, input_price, output_price in [
        ("a", "3", "15"), ("b", "1", "4"), ("c", "0", "0"), ("d", "1", "4"),
    ]:  # fmt: skip
        _price(m[key], input_price, output_price)
    _price(m["a"], "0", "0", offering="free")
    return m


def test_model_ranks_share_a_rank_on_ties_and_skip_the_next(api_client, catalog):
    # when
    ranks = {key: _ranks(api_client, catalog[key])[("all", "arena_text")] for key in "abce"}
    # then: 1300, 1250, 1250, 1100 -> 1, 2, 2, 4
    assert {k: _place(r) for k, r in ranks.items()} == {
        "a": (1, 4), "b": (2, 4), "c": (2, 4), "e": (4, 4),
    }  # fmt: skip
    assert ranks["e"]["label"] == "arena_text: 4 of 4 models, higher is better"
    assert ranks["e"]["direction"] == "higher"
    assert ranks["e"]["measure_name"] == "Arena text"


def test_model_ranks_skip_a_measure_the_model_lacks(api_client, catalog):
    # when: d has no arena score, e has no price
    d_ranks = _ranks(api_client, catalog["d"])
    e_ranks = _ranks(api_client, catalog["e"])
    # then
    assert ("all", "arena_text") not in d_ranks
    assert ("all", "context_window") not in d_ranks
    assert {m for _, m in e_ranks} == {"arena_text", "context_window"}


def test_model_ranks_rank_prices_lower_is_better(api_client, catalog):
    # when
    ranks = _ranks(api_client, catalog["b"])
    # then: input prices 3, 1, 0, 1 -> b shares rank 2 with d
    assert _place(ranks[("all", "input_price")]) == (2, 4)
    assert ranks[("all", "input_price")]["label"] == "input_price: 2 of 4 models, lower is better"
    # blended (3:1): a 6, b 1.75, c 0, d 1.75
    assert ranks[("all", "blended_price")]["rank"] == 2
    assert ranks[("multimodal", "input_price")]["label"] == (
        "input_price: 1 of 2 multimodal models, lower is better"
    )


def test_model_ranks_rank_context_window_higher_is_better(api_client, catalog):
    # when
    ranks = _ranks(api_client, catalog["b"])
    # then: 1M, 200k, 200k, (none), 8k -> b is 2 of 4
    assert _place(ranks[("all", "context_window")]) == (2, 4)


def test_model_ranks_cover_only_the_categories_the_model_is_in(api_client, catalog):
    # when
    categories = {
        key: {c for c, _ in _ranks(api_client, catalog[key])} for key in ("a", "b", "c", "d")
    }
    # then
    assert categories == {
        "a": {"all", "multimodal", "open_weights", "reasoning", "free"},
        "b": {"all", "multimodal"},
        "c": {"all", "open_weights", "free"},
        "d": {"all", "reasoning"},
    }


def test_model_ranks_count_only_category_members_in_totals(api_client, catalog):
    # when
    ranks = _ranks(api_client, catalog["a"])
    # then: arena among multimodal a, b, e; open weights a, c; reasoning a (d has no score)
    assert ranks[("multimodal", "arena_text")]["total"] == 3
    assert ranks[("open_weights", "arena_text")]["label"] == (
        "arena_text: 1 of 2 open-weights models, higher is better"
    )
    assert _place(ranks[("reasoning", "arena_text")]) == (1, 1)
    assert ranks[("reasoning", "input_price")]["total"] == 2


def test_model_ranks_for_model_with_no_measures_is_empty(api_client):
    # given a model with no price, metric or context window
    model = AIModelFactory(context_window=None)
    # when / then
    assert _ranks(api_client, model) == {}


def test_model_ranks_answers_model_not_found(api_client):
    # when
    response = api_client.get("/api/v1/models/nobody/nothing/ranks/")
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"


@pytest.mark.parametrize("catalog_size", [3, 40])
def test_model_ranks_query_count_does_not_grow_with_catalog(
    api_client, arena, django_assert_num_queries, catalog_size
):
    # given a catalog of priced, scored, multimodal models
    models = [AIModelFactory(inputs=["text", "image"]) for _ in range(catalog_size)]
    for i, model in enumerate(models):
        _price(model, str(i), str(i * 4))
        _metric(model, arena, str(1000 + i))
    # when / then: resolve, models, image inputs, free offerings, metric values, metrics, and
    # the use-case ranks the reviews app registers
    with django_assert_num_queries(7):
        response = api_client.get(_url(models[0].slug))
    assert response.json()["ranks"][0]["total"] == catalog_size
