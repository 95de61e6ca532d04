"""LiteLLM's price map (`model_prices_and_context_window.json`): enriches, never creates.

One JSON object keyed by model name; `sample_spec` documents the fields and is skipped.
An entry enriches a catalog model only when its `litellm_provider` is the model maker's own
API (`DIRECT_PROVIDERS`). Resellers (azure, bedrock, vertex_ai-anthropic_models,
fireworks_ai, ...) describe *their* offering: their prices, limits and retirement dates are
not the model's, so their entries stay unmatched, as do fine-tuning prices (`ft:...`).
When several direct entries name one model (`claude-opus-4-5`, `claude-opus-4-5-20251101`),
the best match writes: the provider's main API, then the closest name.

Routes (where a model is served, `models_catalog.routes`): every priced entry of a provider
in the route table, the maker's own API and the resellers alike, is read as a route of the
model it names (`azure/eu/o4-mini` -> route `azure/eu` of `openai/o4-mini` at that entry's
price). A reseller's entry names the model by its own id (`openai/o4-mini` at Vercel,
`o4-mini` at Azure): matched to a catalog slug first, then by name among all providers,
and only when unambiguous. One entry per (model, route): the closest name wins.

Written with source `litellm`: prices (per-token JSON numbers -> USD per 1M tokens via
`Decimal(str(x))`) for the standard, batch, flex and priority offerings; `deprecation_date`
(and lifecycle "deprecated"); `successor_model` when it names a catalog model; token limits
where no better source set them. Unmatched entries are not checked: nothing of them is used.
"""

import datetime as dt
from pathlib import Path
from typing import Any

from models_catalog import services
from models_catalog.importers import fields
from models_catalog.importers.base import (
    Importer,
    ImportReport,
    MalformedFile,
    RejectedRecord,
    snapshot_date_from_name,
)
from models_catalog.importers.matching import CatalogIndex, Match, best_per_model
from models_catalog.models import AIModel, Lifecycle, Price, Source
from models_catalog.routes import RouteEntry, route_entry

# litellm_provider -> (catalog provider slug, rank): 0 for the maker's main API, 1 for
# a second channel of the same company.
DIRECT_PROVIDERS: dict[str, tuple[str, int]] = {
    "openai": ("openai", 0),
    "text-completion-openai": ("openai", 1),
    "anthropic": ("anthropic", 0),
    "gemini": ("google", 0),
    "vertex_ai-language-models": ("google", 1),
    "xai": ("x-ai", 0),
    "mistral": ("mistralai", 0),
    "codestral": ("mistralai", 1),
    "deepseek": ("deepseek", 0),
    "moonshot": ("moonshotai", 0),
    "dashscope": ("qwen", 0),
    "qwen_ai_platform": ("qwen", 1),
    "qwencloud": ("qwen", 1),
    "zai": ("z-ai", 0),
    "bigmodel": ("z-ai", 1),
    "minimax": ("minimax", 0),
    "cohere_chat": ("cohere", 0),
    "cohere": ("cohere", 0),
    "meta_llama": ("meta-llama", 0),
    "meta": ("meta", 0),
    "perplexity": ("perplexity", 0),
    "ai21": ("ai21", 0),
    "amazon_nova": ("amazon", 0),
    "inception": ("inception", 0),
    "xiaomi_mimo": ("xiaomi", 0),
    "tencent": ("tencent", 0),
    "volcengine": ("bytedance-seed", 0),
    "voyage": ("voyageai", 0),
    "black_forest_labs": ("black-forest-labs", 0),
    "recraft": ("recraft", 0),
    "deepgram": ("deepgram", 0),
    "morph": ("morph", 0),
    "nvidia_nim": ("nvidia", 0),
}
# offering -> (input, output, cached input) per-token price keys.
OFFERINGS = {
    Price.STANDARD: (
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
    ),
    "batch": ("input_cost_per_token_batches", "output_cost_per_token_batches", None),
    "flex": (
        "input_cost_per_token_flex",
        "output_cost_per_token_flex",
        "cache_read_input_token_cost_flex",
    ),
    "priority": (
        "input_cost_per_token_priority",
        "output_cost_per_token_priority",
        "cache_read_input_token_cost_priority",
    ),
}
UNMATCHED_SHOWN = 10

Record = tuple[str, Any]


class LiteLLMImporter(Importer):
    source = Source.LITELLM
    description = "LiteLLM price map (enriches: prices, deprecations, successors)"

    def __init__(self) -> None:
        self._index = CatalogIndex([])
        self._winners: dict[str, Match] = {}
        self._superseded: dict[str, str] = {}
        self._unknown_successors: list[str] = []
        # entry key -> (model id, route) of the entries that write a route
        self._routes: dict[str, tuple[int, RouteEntry]] = {}

    def load(self, path: Path) -> tuple[dt.date | None, list[Record]]:
        document = fields.read_json(path)
        entries = document.values() if isinstance(document, dict) else []
        if not any(isinstance(e, dict) and "litellm_provider" in e for e in entries):
            raise MalformedFile(
                f"{path.name} is not a LiteLLM price map: expected a JSON object of model "
                "entries with 'litellm_provider' (model_prices_and_context_window.json)"
            )
        records = [(key, entry) for key, entry in document.items() if key != "sample_spec"]
        return snapshot_date_from_name(path), records

    def record_id(self, record: Record) -> str:
        return record[0]

    def prepare(self, records: list[Record], as_of: dt.date, report: ImportReport) -> None:
        report.unmatched_shown = UNMATCHED_SHOWN
        self._index = CatalogIndex.from_catalog()
        ranks = {key: rank for key, entry in records if (rank := _direct(entry)) is not None}
        matches = {
            key: self._index.find(_model_name(key), providers=[direct[0]])
            for key, direct in ranks.items()
            if not key.startswith("ft:")
        }
        self._winners, self._superseded = best_per_model(
            matches, rank=lambda key, match: (ranks[key][1], match.level, key)
        )
        self._routes = self._route_winners(records, matches)

    def _route_winners(
        self, records: list[Record], direct: dict[str, Match | None]
    ) -> dict[str, tuple[int, RouteEntry]]:
        best: dict[tuple[int, str], tuple[tuple[int, str], str, RouteEntry]] = {}
        for key, entry in records:
            if not _priced(entry):
                continue
            route = route_entry(key, entry["litellm_provider"])
            if route is None:
                continue
            match = direct.get(key) if key in direct else self._reseller_match(route)
            if match is None:
                continue
            rank = (match.level, key)
            slot = (match.model_id, route.key)
            if slot not in best or rank < best[slot][0]:
                best[slot] = (rank, key, route)
        return {key: (model_id, route) for (model_id, _), (_, key, route) in best.items()}

    def _reseller_match(self, route: RouteEntry) -> Match | None:
        """A reseller's id: a catalog slug (`openai/o4-mini`), else an unambiguous name."""
        exact = self._index.get(route.route_model_id)
        if exact is not None:
            return exact
        author, _, name = route.route_model_id.rpartition("/")
        providers = [author.split("/")[-1]] if author else [""]
        return self._index.find(name, providers=providers)

    def import_record(self, record: Record, as_of: dt.date, report: ImportReport) -> None:
        key, entry = record
        if not isinstance(entry, dict):
            raise RejectedRecord(key, f"an entry must be an object, got {entry!r}")
        routed = self._record_route(key, entry, as_of)
        match = self._winners.get(key)
        if match is None:
            if routed is not None:
                report.count(created=False, changed=routed)
            elif key not in self._superseded:
                report.unmatched.append(key)
            return
        model = AIModel.objects.select_related("provider").get(pk=match.model_id)
        _, change = services.model_import(
            slug=model.slug,
            provider=model.provider,
            attributes=self._attributes(key, entry, model),
            source=self.source,
            as_of=as_of,
            create=False,
        )
        changed = self._record_prices(model, key, entry, as_of)
        report.count(created=False, changed=change.changed or changed or bool(routed))

    def _record_route(self, key: str, entry: dict[str, Any], as_of: dt.date) -> bool | None:
        """Write the route this entry is the best of; None when it is none's."""
        if key not in self._routes:
            return None
        model_id, route = self._routes[key]
        cached = entry.get("cache_read_input_token_cost")
        return services.route_record(
            model=AIModel.objects.get(pk=model_id),
            key=route.key,
            name=route.info.name,
            kind=route.info.kind,
            region=route.region,
            route_model_id=route.route_model_id,
            base_url=route.info.base_url,
            input_per_mtok=fields.usd_per_mtok(
                key, "input_cost_per_token", entry["input_cost_per_token"]
            ),
            output_per_mtok=fields.usd_per_mtok(
                key, "output_cost_per_token", entry["output_cost_per_token"]
            ),
            cached_input_per_mtok=(
                fields.usd_per_mtok(key, "cache_read_input_token_cost", cached)
                if cached is not None
                else None
            ),
            source=self.source,
            as_of=as_of,
        )

    def _attributes(self, key: str, entry: dict[str, Any], model: AIModel) -> dict[str, Any]:
        deprecation_date = fields.iso_date(key, "deprecation_date", entry.get("deprecation_date"))
        return {
            "context_window": fields.whole_number(
                key, "max_input_tokens", entry.get("max_input_tokens")
            ),
            "max_output_tokens": fields.whole_number(
                key, "max_output_tokens", entry.get("max_output_tokens")
            ),
            "deprecation_date": deprecation_date,
            "lifecycle": Lifecycle.DEPRECATED if deprecation_date else None,
            "successor": self._successor(key, entry.get("successor_model"), model),
        }

    def _successor(self, key: str, name: Any, model: AIModel) -> AIModel | None:
        if name is None:
            return None
        name = fields.text(key, "successor_model", name)
        match = self._index.find(_model_name(name), providers=[model.provider.slug])
        if match is None:
            self._unknown_successors.append(f"{key} -> {name}")
            return None
        return None if match.model_id == model.id else AIModel.objects.get(pk=match.model_id)

    def _record_prices(
        self, model: AIModel, key: str, entry: dict[str, Any], as_of: dt.date
    ) -> bool:
        changed = False
        for offering, (input_key, output_key, cached_key) in OFFERINGS.items():
            if entry.get(input_key) is None or entry.get(output_key) is None:
                continue
            cached = entry.get(cached_key) if cached_key else None
            changed |= services.price_record(
                model=model,
                source=self.source,
                as_of=as_of,
                offering=offering,
                input_per_mtok=fields.usd_per_mtok(key, input_key, entry[input_key]),
                output_per_mtok=fields.usd_per_mtok(key, output_key, entry[output_key]),
                cached_input_per_mtok=(
                    fields.usd_per_mtok(key, cached_key, cached)
                    if cached_key and cached is not None
                    else None
                ),
            )
        return changed

    def finish(self, as_of: dt.date, report: ImportReport) -> None:
        report.notes.append(
            f"{len(self._routes)} entries recorded as routes (models_catalog.routes)"
        )
        report.notes.append(
            f"{len(self._winners)} entries matched a catalog model (one entry per model); "
            f"{len(self._superseded)} more named a model that a better entry covered"
        )
        if self._unknown_successors:
            shown = ", ".join(self._unknown_successors[:UNMATCHED_SHOWN])
            report.notes.append(
                f"{len(self._unknown_successors)} successor_model names are not in the "
                f"catalog, e.g. {shown}"
            )


def _direct(entry: Any) -> tuple[str, int] | None:
    """(catalog provider, rank) when the entry is the model maker's own API, else None."""
    provider = entry.get("litellm_provider") if isinstance(entry, dict) else None
    return DIRECT_PROVIDERS.get(provider) if isinstance(provider, str) else None


def _priced(entry: Any) -> bool:
    """An entry with both per-token prices and a route provider name (a route's price)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("litellm_provider"), str):
        return False
    return (
        entry.get("input_cost_per_token") is not None
        and entry.get("output_cost_per_token") is not None
    )


def _model_name(key: str) -> str:
    """`gemini/gemini-2.5-pro` -> `gemini-2.5-pro`: the name without provider or route prefix."""
    return key.rsplit("/", 1)[-1]
