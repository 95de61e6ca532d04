"""Routes (where a model is served): imported from small cuts of the shipped snapshots,
shown on the model page with quick-start data, priced by the cost calculator (`route`), and
invalidated in the pre-rendered page when an import changes them."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from models_catalog.importers.litellm import LiteLLMImporter
from models_catalog.importers.openrouter import OpenRouterImporter
from models_catalog.models import Route
from tests.conftest import SHIPPED_CATALOG_DIR
from tests.models_catalog.test_importers import LITELLM_FILE, openrouter_records, write_openrouter

pytestmark = pytest.mark.django_db
NOV = dt.date(2026, 11, 29)
O4_MINI_ENTRIES = (
    "o4-mini", "o4-mini-2025-04-16", "ft:o4-mini-2025-04-16", "azure/o4-mini",
    "azure/us/o4-mini", "azure/eu/o4-mini", "azure/eu/o4-mini-2025-04-16",
    "replicate/openai/o4-mini", "vercel_ai_gateway/openai/o4-mini",
)  # fmt: skip


def _litellm_cut(tmp_path: Path, day: str = "2026-11-29", **changes: Any) -> Path:
    """The shipped LiteLLM entries of o4-mini, with `changes` (key -> fields) applied."""
    shipped = json.loads((SHIPPED_CATALOG_DIR / LITELLM_FILE).read_text())
    cut = {key: dict(shipped[key]) for key in O4_MINI_ENTRIES}
    for key, fields in changes.items():
        cut.setdefault(key, {}).update(fields)
    path = tmp_path / f"litellm-{day}.json"
    path.write_text(json.dumps(cut))
    return path


@pytest.fixture
def o4_mini_routes(tmp_path: Path) -> Path:
    OpenRouterImporter().run(write_openrouter(tmp_path, openrouter_records("openai/o4-mini")))
    path = _litellm_cut(tmp_path)
    LiteLLMImporter().run(path, as_of=NOV)
    return path


def _page(api_client) -> dict[str, Any]:
    response = api_client.get("/api/v1/models/openai/o4-mini/")
    assert response.status_code == 200
    return response.json()


def test_page_lists_availability_by_kind_cheapest_first_with_quick_start(
    api_client, o4_mini_routes
):
    availability = _page(api_client)["availability"]
    assert [(r["kind"], r["key"]) for r in availability] == [
        ("first_party", "openai"),
        ("cloud", "azure"),
        ("cloud", "azure/eu"),
        ("cloud", "azure/us"),
        ("aggregator", "replicate"),
        ("aggregator", "openrouter"),
        ("aggregator", "vercel_ai_gateway"),
    ]
    by_key = {r["key"]: r for r in availability}
    assert by_key["azure/eu"] | {"quick_start": None} == {
        "key": "azure/eu", "name": "Azure OpenAI", "kind": "cloud", "region": "eu",
        "model_id": "o4-mini", "input_per_mtok": "1.21", "output_per_mtok": "4.84",
        "cached_input_per_mtok": "0.303", "currency": "USD", "source": "litellm",
        "as_of": "2026-11-29", "quick_start": None,
    }  # fmt: skip
    assert by_key["azure/eu"]["quick_start"]["placeholders"] == ["resource"]
    assert by_key["openai"]["quick_start"] == {
        "base_url": "https://api.openai.com/v1", "model_id": "o4-mini", "placeholders": [],
    }  # fmt: skip
    assert by_key["openrouter"]["quick_start"]["model_id"] == "openai/o4-mini"
    assert by_key["openrouter"]["source"] == "openrouter"
    assert by_key["replicate"]["quick_start"] is None  # not OpenAI-compatible


def test_reimport_changes_no_route(o4_mini_routes):
    before = list(Route.objects.values())
    report = LiteLLMImporter().run(o4_mini_routes, as_of=NOV)
    assert (report.created, report.updated) == (0, 0)
    assert list(Route.objects.values()) == before


def test_newer_snapshot_reprices_a_route_and_the_page_shows_it(
    api_client, tmp_path, o4_mini_routes
):
    # given the page, read once (and so pre-rendered)
    assert {r["key"]: r["input_per_mtok"] for r in _page(api_client)["availability"]}[
        "azure/eu"
    ] == "1.21"
    # when a newer snapshot reprices Azure EU
    newer = _litellm_cut(
        tmp_path, "2026-12-01", **{"azure/eu/o4-mini": {"input_cost_per_token": 1.5e-06}}
    )
    LiteLLMImporter().run(newer, as_of=dt.date(2026, 12, 1))
    # then the page read back shows the new price and date
    route = {r["key"]: r for r in _page(api_client)["availability"]}["azure/eu"]
    assert (route["input_per_mtok"], route["as_of"]) == ("1.50", "2026-12-01")
    # and an older snapshot imported afterwards does not roll it back
    LiteLLMImporter().run(o4_mini_routes, as_of=NOV)
    assert Route.objects.get(key="azure/eu").input_per_mtok == 1.5


def test_cost_prices_a_chosen_route(api_client, o4_mini_routes):
    url = "/api/v1/models/openai/o4-mini/cost/"
    body = api_client.get(url, {"input_tokens": 1_000_000, "output_tokens": 1_000_000,
                                "route": "azure/eu"}).json()  # fmt: skip
    assert (body["route"], body["total"], body["price"]["source"]) == (
        "azure/eu",
        "6.05",
        "litellm",
    )
    default = api_client.get(url, {"input_tokens": 1_000_000, "output_tokens": 1_000_000}).json()
    assert (default["route"], default["total"]) == (None, "5.50")


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"route": "bedrock"}, 404, "route_unavailable"),
        ({"route": "azure/eu", "offering": "batch"}, 400, "invalid"),
        ({"route": "Azure EU"}, 400, "invalid"),
        ({"route": "x" * 65}, 400, "invalid"),
    ],
)
def test_cost_refuses_a_route_it_cannot_price(api_client, o4_mini_routes, params, status, code):
    response = api_client.get("/api/v1/models/openai/o4-mini/cost/", params)
    assert response.status_code == status
    body = response.json()
    assert "route" in body.get("fields", {})
    if code == "route_unavailable":
        assert body["code"] == code
        assert "azure/eu" in body["message"]
