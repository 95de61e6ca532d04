"""The catalog's write services: per-field provenance and precedence, dated price/metric history."""

import datetime as dt
from decimal import Decimal

import pytest

from models_catalog import services
from models_catalog.models import AIModel, MetricValue, ModelAlias, Price, Source
from tests.factories import AIModelFactory, MetricFactory, ProviderFactory

pytestmark = pytest.mark.django_db

MAY, AUG, NOV = dt.date(2026, 5, 15), dt.date(2026, 8, 19), dt.date(2026, 11, 29)


def _import(slug: str, source: str, as_of: dt.date, **attributes: object) -> AIModel | None:
    provider = ProviderFactory.create(slug=slug.split("/")[0])
    model, _ = services.model_import(
        slug=slug,
        provider=provider,
        attributes=attributes,
        source=source,
        as_of=as_of,
        create=source == Source.OPENROUTER,
    )
    return model


def test_model_import_creates_model_with_provenance():
    # when OpenRouter lists a new model
    model = _import("acme/m1", Source.OPENROUTER, AUG, name="M1", context_window=1000)
    # then it exists and each attribute says where it came from
    assert model.context_window == 1000
    assert model.provenance["context_window"] == {"source": "openrouter", "as_of": "2026-08-19"}


def test_model_import_enrich_only_source_never_creates():
    # when models.dev describes a model the catalog does not have
    model = _import("acme/unknown", Source.MODELS_DEV, AUG, release_date=dt.date(2025, 1, 1))
    # then nothing is created
    assert model is None
    assert not AIModel.objects.filter(slug="acme/unknown").exists()


def test_model_apply_attributes_lets_better_source_win_per_field():
    # given OpenRouter's listing day as release date and its exact knowledge cutoff
    _import(
        "acme/m1",
        Source.OPENROUTER,
        AUG,
        name="M1",
        release_date=dt.date(2025, 4, 20),
        knowledge_cutoff=dt.date(2024, 6, 30),
    )
    # when models.dev gives the real release date and a month-precision cutoff
    model = _import(
        "acme/m1",
        Source.MODELS_DEV,
        AUG,
        release_date=dt.date(2025, 4, 16),
        knowledge_cutoff=dt.date(2024, 5, 1),
    )
    # then models.dev wins the release date, OpenRouter keeps the cutoff
    assert model.release_date == dt.date(2025, 4, 16)
    assert model.knowledge_cutoff == dt.date(2024, 6, 30)
    assert model.provenance["release_date"]["source"] == "models_dev"
    assert model.provenance["knowledge_cutoff"]["source"] == "openrouter"


def test_model_apply_attributes_lower_source_fills_only_empty_fields():
    # given a model without a max output from OpenRouter
    _import("acme/m1", Source.OPENROUTER, AUG, name="M1", context_window=1000)
    # when LiteLLM (lowest precedence) states both limits
    model = _import("acme/m1", Source.LITELLM, NOV, context_window=5, max_output_tokens=800)
    # then it fills the empty one only
    assert (model.context_window, model.max_output_tokens) == (1000, 800)


def test_model_apply_attributes_older_snapshot_does_not_roll_back():
    # given the August snapshot's context window
    _import("acme/m1", Source.OPENROUTER, AUG, name="M1", context_window=2000)
    # when the May snapshot is imported afterwards
    model = _import("acme/m1", Source.OPENROUTER, MAY, name="M1", context_window=1000)
    # then the newer value stays
    assert model.context_window == 2000


def test_model_apply_attributes_none_never_erases():
    _import("acme/m1", Source.OPENROUTER, MAY, name="M1", knowledge_cutoff=dt.date(2024, 1, 1))
    model = _import("acme/m1", Source.OPENROUTER, AUG, name="M1", knowledge_cutoff=None)
    assert model.knowledge_cutoff == dt.date(2024, 1, 1)


def test_model_update_by_editor_value_survives_every_source():
    # given an editor's correction of an imported value
    model = _import("acme/m1", Source.OPENROUTER, AUG, name="M1", context_window=1000)
    model.context_window = 4096
    services.model_update_by_editor(model, ["context_window"])
    # when OpenRouter and LiteLLM import again, newer
    _import("acme/m1", Source.OPENROUTER, NOV, name="M1", context_window=1000)
    model = _import("acme/m1", Source.LITELLM, NOV, context_window=9)
    # then the editor's value stands
    assert model.context_window == 4096
    assert model.provenance["context_window"]["source"] == "editor"


def test_model_update_by_editor_emptied_field_stays_empty():
    # given an imported description an editor removed on purpose
    model = _import("acme/m1", Source.OPENROUTER, AUG, name="M1", description="Spam.")
    model.description = ""
    services.model_update_by_editor(model, ["description"])
    # when the source imports it again; then it stays empty
    model = _import("acme/m1", Source.OPENROUTER, NOV, name="M1", description="Spam.")
    assert model.description == ""


def test_model_import_keeps_editor_modalities():
    # given modalities an editor corrected
    provider = ProviderFactory(slug="acme")
    kwargs = {
        "slug": "acme/m1",
        "provider": provider,
        "attributes": {"name": "M1"},
        "source": Source.OPENROUTER,
    }
    model, _ = services.model_import(**kwargs, as_of=AUG, input_modalities=["text"])
    model.input_modalities.set(services.modalities_get(["text", "image"]))
    services.model_update_by_editor(model, ["input_modalities"])
    # when the source lists only text again
    model, change = services.model_import(**kwargs, as_of=NOV, input_modalities=["text"])
    # then the editor's list stands and nothing changed
    assert set(model.input_modalities.values_list("slug", flat=True)) == {"text", "image"}
    assert not change.changed


def test_price_record_same_snapshot_twice_writes_nothing():
    model = AIModelFactory()
    prices = {"input_per_mtok": Decimal("1.1"), "output_per_mtok": Decimal("4.4")}
    assert services.price_record(model=model, source=Source.OPENROUTER, as_of=AUG, **prices)
    # when the same observation comes again; then no row is written
    assert not services.price_record(model=model, source=Source.OPENROUTER, as_of=AUG, **prices)
    assert Price.objects.filter(model=model).count() == 1


def test_price_record_changed_price_is_new_row_and_current():
    # given May's price
    model = AIModelFactory()
    services.price_record(
        model=model,
        source=Source.OPENROUTER,
        as_of=MAY,
        input_per_mtok=Decimal("2"),
        output_per_mtok=Decimal("8"),
    )
    # when August's differs
    services.price_record(
        model=model,
        source=Source.OPENROUTER,
        as_of=AUG,
        input_per_mtok=Decimal("1"),
        output_per_mtok=Decimal("4"),
    )
    # then both are history and August's is current
    model.refresh_from_db()
    assert list(model.prices.order_by("as_of").values_list("input_per_mtok", flat=True)) == [
        Decimal("2"),
        Decimal("1"),
    ]
    assert model.current_price.as_of == AUG


def test_price_record_older_same_price_extends_row_back():
    # given August's price, when May's equal price is imported later
    model = AIModelFactory()
    prices = {"input_per_mtok": Decimal("1"), "output_per_mtok": Decimal("4")}
    services.price_record(model=model, source=Source.OPENROUTER, as_of=AUG, **prices)
    services.price_record(model=model, source=Source.OPENROUTER, as_of=MAY, **prices)
    # then one row says it held since May
    assert list(model.prices.values_list("as_of", flat=True)) == [MAY]


def test_price_record_rounds_to_column_so_reimport_compares_equal():
    # given a price with more decimals than the column keeps (USD per 1M tokens, 6 places)
    model = AIModelFactory()
    prices = {"input_per_mtok": Decimal("0.0157192"), "output_per_mtok": Decimal("1")}
    services.price_record(model=model, source=Source.OPENROUTER, as_of=AUG, **prices)
    # when it is recorded again; then nothing is written (and no duplicate-key error)
    assert not services.price_record(model=model, source=Source.OPENROUTER, as_of=AUG, **prices)
    assert model.prices.get().input_per_mtok == Decimal("0.015719")


def test_price_record_rejects_value_too_large_for_column():
    model = AIModelFactory()
    with pytest.raises(ValueError, match="digits"):
        services.price_record(
            model=model,
            source=Source.LITELLM,
            as_of=AUG,
            input_per_mtok=Decimal("1e12"),
            output_per_mtok=Decimal("1"),
        )


def test_metric_record_rounds_and_is_idempotent():
    # given an Arena rating with 13 decimals
    model, metric = AIModelFactory(), MetricFactory(key="arena_text")
    rating = {
        "value": Decimal("1391.3831883104183"),
        "ci_low": Decimal("1387.4292877778164"),
        "ci_high": Decimal("1395.3370888430202"),
    }
    assert services.metric_record(
        model=model, metric=metric, source=Source.LMARENA, as_of=AUG, **rating
    )
    # when recorded again; then nothing is written and the stored value is rounded
    assert not services.metric_record(
        model=model, metric=metric, source=Source.LMARENA, as_of=AUG, **rating
    )
    assert MetricValue.objects.get().value == Decimal("1391.3832")


def test_alias_record_moves_forward_not_back():
    # given an alias pointing at the August target
    old, new = AIModelFactory(), AIModelFactory()
    services.alias_record(slug="~acme/latest", model=new, source=Source.OPENROUTER, as_of=AUG)
    # when the May snapshot (older target) is imported afterwards
    change = services.alias_record(
        slug="~acme/latest", model=old, source=Source.OPENROUTER, as_of=MAY
    )
    # then the alias still points at the newer target
    assert not change.changed
    assert ModelAlias.objects.get(slug="~acme/latest").model == new


def test_models_missing_from_snapshot_counts_only_earlier_snapshots():
    # given one model seen in May only and one seen in November only
    _import("acme/may", Source.OPENROUTER, MAY, name="May")
    _import("acme/nov", Source.OPENROUTER, NOV, name="Nov")
    # when the August snapshot lists neither
    missing = services.models_missing_from_snapshot(
        source=Source.OPENROUTER, seen_slugs=set(), as_of=AUG
    )
    # then only the May one is missing from it; both are kept
    assert missing == ["acme/may"]
    assert AIModel.objects.count() == 2
