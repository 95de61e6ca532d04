"""Catalog selectors: slug resolution, current prices and metrics, cost and ranks."""

import datetime as dt
from decimal import Decimal

import pytest

from models_catalog import selectors
from models_catalog.exceptions import ModelNotFound, PriceUnavailable, ProviderNotFound
from models_catalog.models import Direction, Source
from models_catalog.services import (
    alias_record,
    metric_get_or_create,
    metric_record,
    price_record,
)
from tests.factories import AIModelFactory, ModelAliasFactory, ProviderFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 8, 18)


def _price(model, source: str, as_of: dt.date, input_price: str, offering: str = "standard"):
    price_record(
        model=model, source=source, as_of=as_of, offering=offering,
        input_per_mtok=Decimal(input_price), output_per_mtok=Decimal("4"),
    )  # fmt: skip


def test_model_resolve_prefers_exact_slug_then_alias_then_variant():
    # given a model, an alias named like a variant of it, and a model with that slug elsewhere
    base = AIModelFactory(slug="openai/o4-mini")
    aliased = AIModelFactory(slug="openai/o3")
    ModelAliasFactory(slug="openai/o4-mini:free", model=aliased)
    # when / then
    assert selectors.model_resolve("openai/o4-mini") == selectors.ResolvedModel(base)
    assert selectors.model_resolve("openai/o4-mini:free").model == aliased
    assert selectors.model_resolve("openai/o4-mini:batch") == selectors.ResolvedModel(base, "batch")


def test_model_resolve_resolves_variant_of_an_alias():
    # given
    model = AIModelFactory(slug="openai/o4-mini")
    alias_record(slug="~openai/mini-latest", model=model, source=Source.OPENROUTER, as_of=AS_OF)
    # when
    resolved = selectors.model_resolve("~openai/mini-latest:free")
    # then
    assert (resolved.model, resolved.variant) == (model, "free")


@pytest.mark.parametrize(
    "slug", ["openai/nope", "openai/o4-mini:", "openai:free", "o4-mini", "openai/o4-mini\x00"]
)
def test_model_get_by_slug_raises_model_not_found(slug):
    # given
    AIModelFactory(slug="openai/o4-mini")
    # when
    with pytest.raises(ModelNotFound) as error:
        selectors.model_get_by_slug(slug)
    # then
    assert error.value.code == "model_not_found"


def test_provider_get_raises_provider_not_found():
    # given
    ProviderFactory(slug="openai")
    # when / then
    with pytest.raises(ProviderNotFound):
        selectors.provider_get(slug="anthropic")


def test_price_current_list_prefers_source_then_newest_per_offering():
    # given batch prices from two sources over time, and a free price
    model = AIModelFactory()
    _price(model, Source.LITELLM, dt.date(2026, 9, 1), "0.9", offering="batch")
    _price(model, Source.OPENROUTER, dt.date(2026, 7, 1), "0.7", offering="batch")
    _price(model, Source.OPENROUTER, dt.date(2026, 8, 1), "0.8", offering="batch")
    _price(model, Source.OPENROUTER, dt.date(2026, 8, 1), "0", offering="free")
    # when
    current = {p.offering: p for p in selectors.price_current_list().filter(model=model)}
    # then
    assert set(current) == {"batch", "free"}
    assert (current["batch"].source, current["batch"].input_per_mtok) == (
        "openrouter",
        Decimal("0.8"),
    )


def test_metric_value_current_list_keeps_newest_value_per_model_and_metric():
    # given two metrics, each with history, for two models
    arena = metric_get_or_create(
        key="arena_text", name="Arena", unit="Elo", direction=Direction.HIGHER_IS_BETTER
    )
    speed = metric_get_or_create(
        key="latency", name="Latency", unit="s", direction=Direction.LOWER_IS_BETTER
    )
    first, second = AIModelFactory(), AIModelFactory()
    for model, metric, day, value in [
        (first, arena, 1, "1200"), (first, arena, 3, "1250"), (first, speed, 2, "0.5"),
        (second, arena, 5, "1100"), (second, arena, 4, "1300"),
    ]:  # fmt: skip
        metric_record(
            model=model, metric=metric, value=Decimal(value), source=Source.LMARENA,
            as_of=dt.date(2026, 1, day),
        )  # fmt: skip
    # when
    rows = selectors.metric_value_current_list().values_list("model_id", "metric_id", "value")
    # then
    assert set(rows) == {
        (first.id, arena.id, Decimal("1250")),
        (first.id, speed.id, Decimal("0.5")),
        (second.id, arena.id, Decimal("1100")),
    }


def test_model_cost_estimate_is_exact_decimal():
    # given
    model = AIModelFactory()
    price_record(
        model=model, source=Source.OPENROUTER, as_of=AS_OF, input_per_mtok=Decimal("1.10"),
        output_per_mtok=Decimal("4.40"), cached_input_per_mtok=None,
    )  # fmt: skip
    # when
    estimate = selectors.model_cost_estimate(
        slug=model.slug, input_tokens=333_333, cached_input_tokens=7, output_tokens=1
    )
    # then
    assert estimate.total == Decimal("0.3666663") + Decimal("0.0000077") + Decimal("0.0000044")
    assert [p.price_applied for p in estimate.parts] == ["input", "input", "output"]


def test_model_cost_estimate_raises_price_unavailable_naming_offerings():
    # given a model with only a free price
    model = AIModelFactory()
    _price(model, Source.OPENROUTER, AS_OF, "0", offering="free")
    # when
    with pytest.raises(PriceUnavailable) as error:
        selectors.model_cost_estimate(slug=model.slug, offering="batch")
    # then
    assert "free" in error.value.message


def test_model_ranks_get_uses_standard_competition_ranking():
    # given five scores with a three-way tie, and a model without a score
    metric = metric_get_or_create(
        key="latency", name="Latency", unit="s", direction=Direction.LOWER_IS_BETTER
    )
    models = [AIModelFactory(context_window=None) for _ in range(6)]
    for model, value in zip(models, ["0.1", "0.2", "0.2", "0.2", "0.5"], strict=False):
        metric_record(model=model, metric=metric, value=Decimal(value), source=Source.LMARENA,
                      as_of=AS_OF)  # fmt: skip
    # when
    places = [selectors.model_ranks_get(slug=m.slug).ranks for m in models]
    # then
    assert [[(r.rank, r.total) for r in ranks] for ranks in places] == [
        [(1, 5)], [(2, 5)], [(2, 5)], [(2, 5)], [(5, 5)], [],
    ]  # fmt: skip
    assert places[4][0].label == "latency: 5 of 5 models, lower is better"
