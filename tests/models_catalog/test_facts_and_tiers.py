"""Price tiers (thresholds, categories, the rank they come from) and the sentences generated
from facts (every sentence traceable to its facts; an editor's field replaces the generated
one and survives the next import)."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any, cast

import pytest

from models_catalog import tiers
from models_catalog.facts import TEMPLATES
from models_catalog.importers.openrouter import OpenRouterImporter
from models_catalog.models import AIModel
from models_catalog.services import model_update_by_editor, price_record, route_record
from models_catalog.tiers import BUDGET, MID_PRICED, PREMIUM, tier_of
from tests.factories import AIModelFactory, FAQEntryFactory
from tests.models_catalog.test_importers import openrouter_records, write_openrouter

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 8, 19)


# --- Tier thresholds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "total", "tier"),
    [
        (1, 10, BUDGET),  # 0 % cheaper
        (4, 10, BUDGET),  # 30 %
        (5, 12, MID_PRICED),  # 33.3 %: the first mid-priced percentile
        (7, 10, MID_PRICED),  # 60 %
        (10, 15, MID_PRICED),  # 60 %
        (11, 15, PREMIUM),  # 66.7 %: the first premium percentile
        (10, 10, PREMIUM),  # 90 %
    ],
)
def test_tier_of_applies_the_published_thresholds(rank, total, tier):
    assert tier_of(rank, total, "all").tier == tier


def test_tier_of_gives_none_in_small_or_free_categories():
    assert tier_of(1, tiers.MIN_MODELS - 1, "all") is None
    assert tier_of(1, 50, "free") is None


def test_methodology_publishes_the_tier_thresholds(api_client):
    body = api_client.get("/api/v1/ratings/methodology/").json()["price_tiers"]
    assert body["budget_below_percentile"] == str(tiers.BUDGET_BELOW)
    assert body["premium_from_percentile"] == str(tiers.PREMIUM_FROM)
    assert body["min_models"] == tiers.MIN_MODELS
    assert body["measure"] == "blended_price"


def _priced(slug: str, price: str, *, reasoning: bool = False) -> Any:
    parameters = ["reasoning"] if reasoning else []
    model = AIModelFactory(slug=slug, supported_parameters=parameters)
    price_record(model=cast(AIModel, model), source="openrouter", as_of=AS_OF,
                 input_per_mtok=Decimal(price), output_per_mtok=Decimal(price))  # fmt: skip
    return model


def test_page_shows_the_tier_of_its_class_with_the_rank_it_comes_from(api_client):
    # given 12 reasoning models priced 1..12 and 3 cheaper plain ones
    for i in range(1, 13):
        _priced(f"lab/r{i}", str(i), reasoning=True)
    for i in range(3):
        _priced(f"lab/plain{i}", "0.5")
    # when the page of the 9th cheapest reasoning model is read
    page = api_client.get("/api/v1/models/lab/r9/").json()
    # then its class is reasoning: 8 of 12 cheaper = 66.7 % -> premium, rank 9 of 12
    assert page["price_tier"] == {
        "category": "reasoning", "tier": "premium", "percentile": "66.7",
        "measure": "blended_price", "rank": 9, "total": 12,
    }  # fmt: skip
    # among all 15 models: 11 cheaper = 73.3 % -> premium too
    assert [(t["category"], t["rank"], t["total"]) for t in page["price_tiers"]] == [
        ("reasoning", 9, 12), ("all", 12, 15),
    ]  # fmt: skip
    # and ranks/ shows the same tier next to that rank
    ranks = api_client.get("/api/v1/models/lab/r9/ranks/").json()["ranks"]
    blended = {
        r["category"]: (r["rank"], r["tier"]) for r in ranks if r["measure"] == "blended_price"
    }
    assert blended == {"all": (12, "premium"), "reasoning": (9, "premium")}
    assert all(r["tier"] is None for r in ranks if r["measure"] != "blended_price")


def test_a_price_elsewhere_in_the_catalog_moves_the_tier_on_the_pre_rendered_page(api_client):
    for i in range(1, 11):
        _priced(f"lab/m{i}", str(i))
    assert api_client.get("/api/v1/models/lab/m4/").json()["price_tier"]["tier"] == BUDGET
    # when three other models become cheaper than m4
    for i in (5, 6, 7):
        price_record(model=AIModel.objects.get(slug=f"lab/m{i}"), source="openrouter",
                     as_of=dt.date(2026, 9, 1), input_per_mtok=Decimal("0.1"),
                     output_per_mtok=Decimal("0.1"))  # fmt: skip
    # then the page read back is mid-priced (6 of 10 cheaper)
    assert api_client.get("/api/v1/models/lab/m4/").json()["price_tier"]["tier"] == MID_PRICED


# --- Generated sentences -----------------------------------------------------------------


@pytest.fixture
def o4_mini(tmp_path) -> AIModel:
    """o4-mini from the shipped OpenRouter record, with two routes, in a catalog of ten."""
    records = openrouter_records(
        "openai/o4-mini", "openai/o3", "openai/gpt-4.1", "openai/gpt-4.1-mini",
        "openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-sonnet-4",
        "anthropic/claude-opus-4", "google/gemini-2.5-pro", "google/gemini-2.5-flash",
    )  # fmt: skip
    OpenRouterImporter().run(write_openrouter(tmp_path, records))
    model = AIModel.objects.get(slug="openai/o4-mini")
    for key, name, kind, price in (("openai", "OpenAI API", "first_party", "1.1"),
                                   ("azure/eu", "Azure OpenAI", "cloud", "1.21")):  # fmt: skip
        route_record(model=model, key=key, name=name, kind=kind, route_model_id="o4-mini",
                     input_per_mtok=Decimal(price), output_per_mtok=Decimal("4.4"),
                     cached_input_per_mtok=None, source="litellm",
                     as_of=dt.date(2026, 11, 29))  # fmt: skip
    return model


def _statements(overview: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    found = [(s["text"], s["facts"]) for s in overview["verdict"]]
    found += [(f["answer"], f["facts"]) for f in overview["faq"]]
    return [*found, (overview["tagline"]["text"], overview["tagline"]["facts"])]


def _numbers(text: str, *names: str) -> set[str]:
    """The numbers a sentence states ("1M tokens" is the unit, names are not figures)."""
    for name in (*names, "1M"):
        text = text.replace(name, "")
    return set(re.findall(r"\d+(?:\.\d+)?", text.replace(",", "")))


def test_every_generated_sentence_states_only_its_facts_with_their_sources(api_client, o4_mini):
    overview = api_client.get("/api/v1/models/openai/o4-mini/").json()["overview"]
    provenance = o4_mini.provenance
    statements = _statements(overview)
    assert len(statements) >= 8
    for text, facts in statements:
        assert facts, text
        stated = " ".join(f["value"] for f in facts).replace(",", "")
        names = (o4_mini.name, o4_mini.successor.name if o4_mini.successor else "")
        for number in _numbers(text, *filter(None, names)):
            assert number in stated, (number, text)  # every figure comes from a fact
        for fact in facts:
            if fact["field"] in provenance:
                entry = provenance[fact["field"]]
                assert (fact["source"], fact["as_of"]) == (entry["source"], entry["as_of"])
            elif fact["field"].startswith(("price.", "route:")):
                assert fact["source"] in ("openrouter", "litellm") and fact["as_of"]
            else:
                assert (fact["field"], fact["source"], fact["as_of"]) == (
                    "price_tier", "computed", None,
                )  # fmt: skip
    assert all(s["generated"] for s in overview["verdict"] + overview["faq"])
    assert overview["tagline"] == {
        "text": "OpenAI's multimodal reasoning model for text, image and file tasks",
        "generated": True,
        "facts": overview["tagline"]["facts"],
    }
    texts = " ".join(t for t, _ in statements)
    assert "context length of 200,000 tokens" in texts
    assert (
        "It is available through OpenAI API, clouds such as Azure OpenAI and aggregators like "
        "OpenRouter." in texts
    )


def test_templates_of_every_language_have_every_key():
    keys = set(TEMPLATES["en"].strings)
    for language in TEMPLATES.values():
        assert set(language.strings) == keys


def test_an_editors_fields_replace_the_generated_ones_and_survive_the_next_import(
    api_client, o4_mini, tmp_path
):
    # given an editor's verdict and tagline (through the admin's service) and one FAQ entry
    o4_mini.editor_verdict = "Our pick for cheap reasoning."
    o4_mini.tagline = "Small, sharp, cheap."
    model_update_by_editor(o4_mini, ["editor_verdict", "tagline"])
    FAQEntryFactory(model=o4_mini, question="Is it good?", answer="Yes.")
    # when the next snapshot is imported
    OpenRouterImporter().run(
        write_openrouter(tmp_path, openrouter_records("openai/o4-mini"), day="2026-09-01")
    )
    # then the page shows the editors' text, not generated, field by field
    overview = api_client.get("/api/v1/models/openai/o4-mini/").json()["overview"]
    assert overview["verdict"] == [{
        "text": "Our pick for cheap reasoning.", "generated": False,
        "facts": [{"field": "verdict", "value": "", "source": "editor", "as_of": None}],
    }]  # fmt: skip
    assert (overview["tagline"]["text"], overview["tagline"]["generated"]) == (
        "Small, sharp, cheap.", False,
    )  # fmt: skip
    assert [(f["question"], f["generated"]) for f in overview["faq"]] == [("Is it good?", False)]


def test_without_an_editors_verdict_the_generated_one_is_back(api_client, o4_mini):
    o4_mini.editor_verdict = "Temporary."
    model_update_by_editor(o4_mini, ["editor_verdict"])
    assert (
        api_client.get("/api/v1/models/openai/o4-mini/").json()["overview"]["verdict"][0][
            "generated"
        ]
        is False
    )
    o4_mini.editor_verdict = ""
    model_update_by_editor(o4_mini, ["editor_verdict"])
    verdict = api_client.get("/api/v1/models/openai/o4-mini/").json()["overview"]["verdict"]
    assert verdict and all(s["generated"] for s in verdict)
