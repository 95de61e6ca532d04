"""The catalog importers on the shipped real snapshots (data/catalog/), and on small broken files.

`TestShippedCatalog` imports the shipped files once for the class (OpenRouter, LiteLLM,
models.dev, both LMArena boards: about 15 s) and checks what they produced; the tests
outside it start from an empty catalog and use small files written to `tmp_path`.
"""

import copy
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from models_catalog.importers.base import ImportReport, MalformedFile, StrictImportFailed
from models_catalog.importers.litellm import LiteLLMImporter
from models_catalog.importers.lmarena import LMArenaImporter
from models_catalog.importers.matching import EXACT, UNDATED, VERSION, CatalogIndex, name_key
from models_catalog.importers.models_dev import ModelsDevImporter
from models_catalog.importers.openrouter import OpenRouterImporter, family_name
from models_catalog.models import (
    AIModel,
    Lifecycle,
    Metric,
    MetricValue,
    Modality,
    ModelAlias,
    ModelFamily,
    Price,
    Provider,
    Route,
    Source,
)
from models_catalog.routes import ROUTES
from models_catalog.services import model_update_by_editor
from tests.conftest import FIXTURES_DIR, SHIPPED_CATALOG_DIR

# The shipped August listing, and the cut of an older May one (four of its records).
AUG_SNAPSHOT = SHIPPED_CATALOG_DIR / "openrouter-models-2026-08-19.json"
MAY_SNAPSHOT = FIXTURES_DIR / "openrouter-models-2026-05-15.json"
LITELLM_FILE = "litellm-model-prices-and-context-window-1.110.2.json"
AUG = dt.date(2026, 8, 19)
CATALOG_TABLES = (
    Provider, ModelFamily, AIModel, ModelAlias, Price, Metric, MetricValue, Modality, Route,
)  # fmt: skip


def row_counts() -> dict[str, int]:
    return {table.__name__: table.objects.count() for table in CATALOG_TABLES}


def import_shipped() -> dict[str, ImportReport]:
    """The shipped snapshots, in the manifest's order and with its dates."""
    data = SHIPPED_CATALOG_DIR
    return {
        "openrouter": OpenRouterImporter().run(AUG_SNAPSHOT),
        "litellm": LiteLLMImporter().run(data / LITELLM_FILE, as_of=dt.date(2026, 11, 29)),
        "models_dev": ModelsDevImporter().run(data / "models-dev", as_of=dt.date(2026, 7, 2)),
        "arena_text": LMArenaImporter().run(
            data / "lmarena-leaderboard-text-style-control.json", as_of=dt.date(2025, 12, 17)
        ),
        "arena_vision": LMArenaImporter().run(
            data / "lmarena-leaderboard-vision-style-control.json", as_of=dt.date(2025, 12, 11)
        ),
    }


def openrouter_records(*ids: str, snapshot: Path = AUG_SNAPSHOT) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in json.loads(snapshot.read_text())["data"]}
    return [copy.deepcopy(by_id[i]) for i in ids]


def write_openrouter(
    tmp_path: Path, records: list[dict[str, Any]], day: str = "2026-08-19"
) -> Path:
    path = tmp_path / f"openrouter-models-{day}.json"
    path.write_text(json.dumps({"data": records}))
    return path


def catalog_model(slug: str = "openai/o4-mini") -> AIModel:
    """A fresh copy of a catalog model (o4-mini unless told), with its current price."""
    return AIModel.objects.select_related("current_price", "provider", "family").get(slug=slug)


@pytest.fixture(scope="class")
def reports(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, ImportReport]]:
    """The real snapshots imported and committed once for a test class, removed after it."""
    with django_db_blocker.unblock():
        reports = import_shipped()
    yield reports
    with django_db_blocker.unblock():
        for table in (Price, MetricValue, ModelAlias, AIModel, ModelFamily, Provider, Metric):
            table.objects.all().delete()
        Modality.objects.all().delete()


@pytest.mark.django_db
@pytest.mark.usefixtures("reports")
class TestShippedCatalog:
    """What importing the real snapshots gives; each test's own writes are rolled back."""

    def test_openrouter_import_makes_every_id_reachable(self):
        # given the August listing's ids; then each is a model, an offering or an alias
        for record in json.loads(AUG_SNAPSHOT.read_text())["data"]:
            rid = record["id"]
            if rid.startswith("~"):
                assert ModelAlias.objects.filter(slug=rid).exists(), rid
            elif ":" in rid:
                base, offering = rid.split(":")
                assert Price.objects.filter(model__slug=base, offering=offering).exists(), rid
            else:
                assert AIModel.objects.filter(slug=rid).exists(), rid

    def test_openrouter_import_sets_o4_mini_specification(self):
        model = catalog_model()
        assert (model.name, model.provider.name, model.family.name) == ("o4 Mini", "OpenAI", "o")
        assert model.version_slug == "openai/o4-mini-2025-04-16"
        assert (model.context_window, model.max_output_tokens) == (200_000, 100_000)
        assert set(model.input_modalities.values_list("slug", flat=True)) == {
            "text",
            "image",
            "file",
        }

    def test_openrouter_import_prices_o4_mini_exactly(self):
        price = catalog_model().current_price
        assert (price.input_per_mtok, price.output_per_mtok) == (Decimal("1.1"), Decimal("4.4"))
        assert price.cached_input_per_mtok == Decimal("0.275")
        # the as-of date came from the file name: the importer was given none
        assert (price.source, price.as_of, price.offering) == (Source.OPENROUTER, AUG, "standard")
        batch = Price.objects.get(
            model__slug="openai/o4-mini", offering="batch", source="openrouter"
        )
        assert batch.input_per_mtok == Decimal("0.55")

    def test_openrouter_import_router_with_variable_price_gets_no_price(self, reports):
        assert not Price.objects.filter(model__slug="openrouter/auto").exists()
        assert any("openrouter/auto" in note for note in reports["openrouter"].notes)

    def test_openrouter_import_variant_creates_missing_base_model(self):
        # given `dots-studio/dots-3-note-preview:free` without its base in the file
        model = AIModel.objects.get(slug="dots-studio/dots-3-note-preview")
        assert model.name == "Dots3-Note Preview"
        assert list(model.prices.values_list("offering", flat=True)) == ["free"]

    def test_openrouter_import_points_aliases_at_targets(self):
        alias = ModelAlias.objects.select_related("model").get(slug="~openai/gpt-latest")
        assert alias.model.slug == "openai/gpt-5.6-sol"

    def test_openrouter_import_records_artificial_analysis_indices(self):
        value = MetricValue.objects.get(
            model__slug="x-ai/grok-4.6", metric__key="intelligence_index"
        )
        assert value.value == Decimal("60.9")
        assert (value.source, value.via) == (Source.ARTIFICIAL_ANALYSIS, Source.OPENROUTER)

    def test_litellm_import_deprecates_o4_mini_and_prices_it(self):
        model = catalog_model()
        assert (model.lifecycle, model.deprecation_date) == (
            Lifecycle.DEPRECATED,
            dt.date(2026, 10, 23),
        )
        assert model.successor.slug == "openai/gpt-5.6-terra"
        price = model.prices.get(source=Source.LITELLM, offering="standard")
        assert (price.input_per_mtok, price.output_per_mtok) == (Decimal("1.1"), Decimal("4.4"))
        # OpenRouter's price stays the one shown
        assert model.current_price.source == Source.OPENROUTER

    def test_o4_mini_routes_come_from_litellm_and_openrouter_with_their_prices(self):
        routes = {
            r.key: (r.kind, r.region, r.route_model_id, r.input_per_mtok, r.output_per_mtok,
                    r.source, r.as_of)
            for r in catalog_model().routes.all()
        }  # fmt: skip
        nov, d = dt.date(2026, 11, 29), Decimal
        assert routes == {
            "openai": ("first_party", "", "o4-mini", d("1.1"), d("4.4"), "litellm", nov),
            "azure": ("cloud", "", "o4-mini", d("1.1"), d("4.4"), "litellm", nov),
            "azure/us": ("cloud", "us", "o4-mini", d("1.21"), d("4.84"), "litellm", nov),
            "azure/eu": ("cloud", "eu", "o4-mini", d("1.21"), d("4.84"), "litellm", nov),
            "replicate": (
                "aggregator", "", "openai/o4-mini", d("1"), d("4"), "litellm", nov,
            ),
            "vercel_ai_gateway": (
                "aggregator", "", "openai/o4-mini", d("1.1"), d("4.4"), "litellm", nov,
            ),
            "openrouter": (
                "aggregator", "", "openai/o4-mini", d("1.1"), d("4.4"), "openrouter", AUG,
            ),
        }  # fmt: skip

    def test_routes_never_come_from_fine_tunes_or_unknown_providers(self):
        keys = set(Route.objects.values_list("key", flat=True))
        assert keys <= {*ROUTES, "openrouter"} | {f"azure/{r}" for r in ("us", "eu")}
        # ft:o4-mini-2025-04-16 (a fine-tuning price) is not the openai route's price
        assert catalog_model().routes.get(key="openai").input_per_mtok == Decimal("1.1")

    def test_enrich_only_imports_create_no_models(self, reports):
        # given the base models the August listing names (models and variants' bases)
        ids = {r["id"] for r in json.loads(AUG_SNAPSHOT.read_text())["data"]}
        bases = {i.split(":")[0] for i in ids if not i.startswith("~")}
        # then after LiteLLM, models.dev and LMArena the catalog holds exactly those
        assert set(AIModel.objects.values_list("slug", flat=True)) == bases
        for name in ("litellm", "models_dev", "arena_text", "arena_vision"):
            assert reports[name].created == 0, name

    def test_litellm_import_summarises_unmatched_with_a_few_examples(self, reports):
        report = reports["litellm"]
        assert len(report.unmatched) > 4000
        listed = [line for line in report.details() if line.startswith("unmatched ")]
        assert len(listed) == 11
        assert listed[-1] == f"unmatched ... and {len(report.unmatched) - 10} more"

    def test_models_dev_import_sets_release_date_and_open_weights(self):
        model = catalog_model()
        assert (model.release_date, model.open_weights) == (dt.date(2025, 4, 16), False)

    def test_models_dev_import_keeps_openrouter_cutoff_fills_missing_one(self):
        # o4-mini: OpenRouter's exact day outranks models.dev's "2024-05"
        assert catalog_model().knowledge_cutoff == dt.date(2024, 6, 30)
        # a model OpenRouter gives no cutoff for takes models.dev's month
        filled = AIModel.objects.filter(provenance__knowledge_cutoff__source="models_dev")
        assert filled.exists()
        assert all(m.knowledge_cutoff is not None for m in filled)

    def test_models_dev_import_lists_unmatched_files(self, reports):
        assert "deepreinforce/ornith-1.0-9b" in reports["models_dev"].unmatched

    def test_lmarena_import_records_o4_mini_arena_text_with_interval(self):
        value = MetricValue.objects.get(model__slug="openai/o4-mini", metric__key="arena_text")
        assert value.value == pytest.approx(Decimal("1391.4"), abs=Decimal("0.05"))
        assert (round(value.ci_low, 1), round(value.ci_high, 1)) == (
            Decimal("1387.4"),
            Decimal("1395.3"),
        )
        assert (value.source, value.as_of) == (Source.LMARENA, dt.date(2025, 12, 17))

    def test_lmarena_import_reports_every_unmatched_name(self, reports):
        report = reports["arena_text"]
        assert report.updated + len(report.unmatched) == 283
        assert report.unmatched_shown is None
        assert "claude-opus-4-5-20251101-thinking-32k" in report.unmatched
        assert any(name.startswith("gemini-3-pro (mapped to") for name in report.unmatched)

    def test_lmarena_import_detects_vision_board(self):
        assert MetricValue.objects.filter(metric__key="arena_vision").count() == 32

    def test_importers_second_run_changes_nothing(self):
        # given the imported catalog; when every file is imported again
        before = row_counts()
        reports = import_shipped()
        # then no report counts a creation or an update, and no table grew
        for name, report in reports.items():
            assert (report.created, report.updated, report.rejected) == (0, 0, []), name
        assert row_counts() == before


@pytest.mark.django_db
def test_openrouter_reimport_keeps_editor_value(tmp_path):
    # given o4-mini imported, and an editor's correction of its context window
    path = write_openrouter(tmp_path, openrouter_records("openai/o4-mini"))
    OpenRouterImporter().run(path)
    model = catalog_model()
    model.context_window = 123_456
    model_update_by_editor(model, ["context_window"])
    # when the snapshot is imported again
    report = OpenRouterImporter().run(path)
    # then the editor's value stands
    assert catalog_model().context_window == 123_456
    assert (report.created, report.updated) == (0, 0)


@pytest.mark.django_db
def test_openrouter_import_newer_snapshot_adds_price_history_and_reports_missing():
    # given (part of) the May snapshot
    OpenRouterImporter().run(MAY_SNAPSHOT)
    # when the August snapshot follows
    report = OpenRouterImporter().run(AUG_SNAPSHOT)
    # then a changed price is a new row and the newer one is current
    prices = Price.objects.filter(
        model__slug="deepseek/deepseek-v4-pro", offering="standard", source="openrouter"
    ).order_by("as_of")
    assert [(p.as_of, p.input_per_mtok, p.output_per_mtok) for p in prices] == [
        (dt.date(2026, 5, 15), Decimal("0.435"), Decimal("0.87")),
        (AUG, Decimal("0.66"), Decimal("1.98")),
    ]
    assert catalog_model("deepseek/deepseek-v4-pro").current_price == prices[1]
    # and a model only May listed is reported missing, and kept
    assert "openrouter/owl-alpha" in report.missing
    assert AIModel.objects.filter(slug="openrouter/owl-alpha").exists()
    # while a base model August lists only through its `:free` variant is not missing
    assert "nvidia/nemotron-nano-9b-v2" not in report.missing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a", "list"]', "expected a JSON object with a 'data' list"),
        ('{"data": []}', "lists no models"),
    ],
)
def test_openrouter_load_malformed_file_writes_nothing(tmp_path, content, message):
    # given a file that is not an OpenRouter listing
    path = tmp_path / "openrouter-models-2026-08-19.json"
    path.write_text(content)
    # when imported; then the whole file is refused and nothing is written
    with pytest.raises(MalformedFile, match=message):
        OpenRouterImporter().run(path)
    assert sum(row_counts().values()) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("context_length", "abc", "context_length must be a whole number >= 0, got 'abc'"),
        ("pricing", {"prompt": "-0.000001", "completion": "0"}, "pricing.prompt must not be"),
        ("knowledge_cutoff", "June 2024", "knowledge_cutoff must be a YYYY-MM-DD date"),
    ],
)
def test_openrouter_import_rejects_bad_record_and_imports_others(tmp_path, field, value, reason):
    # given three real records, one of them broken
    records = openrouter_records("openai/o4-mini", "openai/o3", "openai/gpt-4.1")
    records[1][field] = value
    # when imported
    report = OpenRouterImporter().run(write_openrouter(tmp_path, records))
    # then the broken one is rejected with its id and reason, the others are in
    assert [(rid, why[: len(reason)]) for rid, why in report.rejected] == [("openai/o3", reason)]
    assert set(AIModel.objects.values_list("slug", flat=True)) == {
        "openai/o4-mini",
        "openai/gpt-4.1",
    }


@pytest.mark.django_db
def test_openrouter_import_strict_writes_nothing_when_a_record_is_rejected(tmp_path):
    # given two records, one with a negative context length
    records = openrouter_records("openai/o4-mini", "openai/o3")
    records[1]["context_length"] = -5
    # when imported with strict; then it fails naming the record, and nothing is written
    with pytest.raises(StrictImportFailed, match="openai/o3"):
        OpenRouterImporter().run(write_openrouter(tmp_path, records), strict=True)
    assert sum(row_counts().values()) == 0


@pytest.mark.django_db
def test_openrouter_import_older_snapshot_after_newer_changes_no_attribute(tmp_path):
    # given August's o4-mini; when a May file with another context window is imported later
    OpenRouterImporter().run(write_openrouter(tmp_path, openrouter_records("openai/o4-mini")))
    older = openrouter_records("openai/o4-mini")
    older[0]["context_length"] = 100_000
    OpenRouterImporter().run(write_openrouter(tmp_path, older, day="2026-05-15"))
    # then the newer value stands; only the (equal) price is now known to hold since May
    model = catalog_model()
    assert model.context_window == 200_000
    assert model.provenance["context_window"]["as_of"] == "2026-08-19"
    assert model.current_price.as_of == dt.date(2026, 5, 15)


@pytest.mark.django_db
def test_openrouter_import_alias_without_target_is_noted(tmp_path):
    # the May snapshot's aliases have no alias_target
    alias = openrouter_records("~openai/gpt-latest", snapshot=MAY_SNAPSHOT)
    report = OpenRouterImporter().run(write_openrouter(tmp_path, alias, day="2026-05-15"))
    assert not ModelAlias.objects.exists()
    assert "~openai/gpt-latest" in report.notes[0]


def test_openrouter_family_name_is_leading_letters():
    assert [family_name(s) for s in ("openai/o4-mini", "openai/gpt-5.6-terra")] == ["o", "gpt"]
    assert family_name("anthropic/claude-opus-4.7") == "claude"
    assert family_name("qwen/qwen3-32b") == "qwen"
    assert family_name("acme/4o") is None


def test_catalog_index_finds_names_by_level_and_refuses_ambiguity():
    # given a small catalog with a version slug, a dated name and two models named alike
    index = CatalogIndex(
        [
            (1, "openai/o4-mini", "openai/o4-mini-2025-04-16"),
            (2, "anthropic/claude-opus-4.1", "anthropic/claude-4.1-opus-20250805"),
            (3, "z-ai/glm-4.6", "z-ai/glm-4.6"),
            (4, "z-ai/glm-4.6v", "z-ai/glm-4.6-20251208"),
            (5, "acme/twin", ""),
            (6, "other/twin", ""),
        ]
    )
    # then names match at the closest level, and an ambiguous name matches nothing
    assert name_key("Claude-Opus_4.1") == "claudeopus41"
    assert index.find("o4-mini").level == EXACT
    assert index.find("o4-mini-2025-04-16").level == VERSION
    undated_match = index.find("claude-opus-4-1-20250805")
    assert (undated_match.slug, undated_match.level) == ("anthropic/claude-opus-4.1", UNDATED)
    # a model's own name beats another's dated version name
    assert index.find("glm-4.6").slug == "z-ai/glm-4.6"
    assert index.find("twin") is None
    assert index.find("twin", providers=["acme"]).slug == "acme/twin"


@pytest.mark.django_db
def test_litellm_import_rejects_malformed_price_and_never_creates(tmp_path):
    # given a catalog with o4-mini and o3, and a LiteLLM file with a broken o3 price
    OpenRouterImporter().run(
        write_openrouter(tmp_path, openrouter_records("openai/o4-mini", "openai/o3"))
    )
    path = tmp_path / "litellm.json"
    path.write_text(
        json.dumps(
            {
                "sample_spec": {"litellm_provider": "one of ..."},
                "o4-mini": {
                    "litellm_provider": "openai",
                    "input_cost_per_token": 1.1e-06,
                    "output_cost_per_token": 4.4e-06,
                },
                "o3": {
                    "litellm_provider": "openai",
                    "input_cost_per_token": "cheap",
                    "output_cost_per_token": 8e-06,
                },
                "brand-new-model": {
                    "litellm_provider": "openai",
                    "input_cost_per_token": 1e-06,
                    "output_cost_per_token": 1e-06,
                },
            }
        )
    )
    models_before = AIModel.objects.count()
    # when imported
    report = LiteLLMImporter().run(path, as_of=dt.date(2026, 11, 29))
    # then the broken entry is rejected, the good one priced, the unknown one unmatched
    assert report.rejected == [("o3", "input_cost_per_token is not a number: 'cheap'")]
    assert Price.objects.filter(source=Source.LITELLM, model__slug="openai/o4-mini").exists()
    assert report.unmatched == ["brand-new-model"]
    assert AIModel.objects.count() == models_before


@pytest.mark.django_db
def test_models_dev_import_rejects_invalid_toml_file(tmp_path):
    # given o4-mini in the catalog and a models.dev folder with one broken file
    OpenRouterImporter().run(write_openrouter(tmp_path, openrouter_records("openai/o4-mini")))
    lab = tmp_path / "models-dev" / "models" / "openai"
    lab.mkdir(parents=True)
    (lab / "o4-mini.toml").write_text('release_date = "2025-04-16"\nopen_weights = false\n')
    (lab / "o3.toml").write_text("release_date = \n")
    # when imported; then the broken file is rejected and the good one applied
    report = ModelsDevImporter().run(tmp_path / "models-dev", as_of=dt.date(2026, 7, 2))
    assert [rid for rid, _ in report.rejected] == ["openai/o3"]
    assert catalog_model().release_date == dt.date(2025, 4, 16)


@pytest.mark.django_db
def test_models_dev_load_folder_without_models_is_malformed(tmp_path):
    with pytest.raises(MalformedFile, match=r"no <lab>/<model>\.toml files"):
        ModelsDevImporter().run(tmp_path, as_of=dt.date(2026, 7, 2))


@pytest.mark.django_db
def test_lmarena_load_without_full_board_is_malformed(tmp_path):
    path = tmp_path / "board.json"
    path.write_text(json.dumps({"coding": {"o4-mini": {"rating": 1}}}))
    with pytest.raises(MalformedFile, match="'full' board"):
        LMArenaImporter().run(path, as_of=dt.date(2025, 12, 17))
    assert not Metric.objects.exists()
