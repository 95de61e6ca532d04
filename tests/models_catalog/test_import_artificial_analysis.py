"""The Artificial Analysis importer on a hand-written body in their documented shape."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from models_catalog.importers.artificial_analysis import ArtificialAnalysisImporter
from models_catalog.importers.base import MalformedFile
from models_catalog.models import MetricValue
from tests.conftest import FIXTURES_DIR
from tests.factories import AIModelFactory, ProviderFactory

pytestmark = pytest.mark.django_db
SNAPSHOT = FIXTURES_DIR / "artificial-analysis-models-2026-05-15.json"


@pytest.fixture
def catalog():
    openai, anthropic = ProviderFactory(slug="openai"), ProviderFactory(slug="anthropic")
    return {
        "o4": AIModelFactory(provider=openai, slug="openai/o4-mini"),
        "gpt": AIModelFactory(provider=openai, slug="openai/gpt-4o"),
        "claude": AIModelFactory(provider=anthropic, slug="anthropic/claude-4-sonnet"),
    }


def _values(model) -> dict[str, Decimal]:
    rows = MetricValue.objects.filter(model=model).select_related("metric")
    return {row.metric.key: row.value for row in rows}


def test_import_records_indexes_speed_and_latency_with_source_and_date(catalog):
    # when
    report = ArtificialAnalysisImporter().run(SNAPSHOT)
    # then
    assert _values(catalog["o4"]) == {
        "aa_intelligence_index": Decimal("65.1"), "aa_coding_index": Decimal("63.5"),
        "aa_math_index": Decimal("90.7"), "output_speed": Decimal("131.4"),
        "time_to_first_token": Decimal("38.2"),
    }  # fmt: skip
    row = MetricValue.objects.filter(model=catalog["o4"]).first()
    assert (row.source, row.as_of) == ("artificial_analysis", dt.date(2026, 5, 15))
    assert "https://artificialanalysis.ai/" in row.metric.description
    # a null index and an unmeasured (0) speed or latency record nothing
    assert _values(catalog["claude"]) == {
        "aa_intelligence_index": Decimal("46.5"), "aa_math_index": Decimal("38.0"),
    }  # fmt: skip
    # an index out of range rejects the whole entry; an unknown model is reported
    assert _values(catalog["gpt"]) == {}
    assert [record_id for record_id, _ in report.rejected] == ["gpt-4o"]
    assert report.unmatched == ["some-lab-model"]
    assert any("Artificial Analysis" in note for note in report.notes)


def test_import_again_writes_nothing_new(catalog):
    # given
    ArtificialAnalysisImporter().run(SNAPSHOT)
    before = MetricValue.objects.count()
    # when
    report = ArtificialAnalysisImporter().run(SNAPSHOT)
    # then
    assert MetricValue.objects.count() == before
    assert not report.changed_anything


def test_model_page_shows_the_metrics_with_source_and_date(api_client, catalog):
    # given
    ArtificialAnalysisImporter().run(SNAPSHOT)
    url = reverse("catalog:model-detail", kwargs={"provider": "openai", "model": "o4-mini"})
    # when
    metrics = {m["key"]: m for m in api_client.get(url).json()["metrics"]}
    # then
    speed = metrics["output_speed"]
    assert (speed["value"], speed["unit"], speed["direction"]) == ("131.4000", "tokens/s", "higher")
    assert (speed["source_name"], speed["as_of"]) == ("Artificial Analysis", "2026-05-15")
    assert metrics["time_to_first_token"]["direction"] == "lower"


def test_import_rejects_a_file_of_another_shape(tmp_path, catalog):
    path = tmp_path / "aa-2026-05-15.json"
    path.write_text('{"models": []}')
    with pytest.raises(MalformedFile, match="Artificial Analysis"):
        ArtificialAnalysisImporter().run(path)


def test_fetch_needs_the_api_key(tmp_path, monkeypatch, catalog):
    # given no key
    monkeypatch.delenv("ARTIFICIAL_ANALYSIS_API_KEY", raising=False)
    path = tmp_path / "aa-2026-05-15.json"
    # when / then: nothing is requested, the command says what is missing
    with pytest.raises(CommandError, match="ARTIFICIAL_ANALYSIS_API_KEY"):
        call_command("import_catalog", str(path), source="artificial_analysis", fetch=True)
    with pytest.raises(CommandError, match="artificial_analysis only"):
        call_command("import_catalog", str(path), source="lmarena", fetch=True)


def test_import_command_imports_the_file(catalog, capsys):
    # when
    call_command("import_catalog", str(SNAPSHOT), source="artificial_analysis")
    # then
    assert "aa_intelligence_index" in _values(catalog["o4"])
