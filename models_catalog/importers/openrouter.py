"""OpenRouter `GET /api/v1/models` snapshots: the source that creates the catalog.

One record per id. What each kind of id becomes:
- `author/model`: a model (slug = id, version_slug = canonical_slug), its provider (slug =
  author, name = the "Author: " prefix of the display name), a family if it has none, its
  standard price and (August 2026 files) Artificial Analysis indices republished by OpenRouter;
- `author/model:variant` (`:free`, `:batch`, `:thinking`): a price *offering* of the base
  model; if the file lacks the base model, the first variant's record creates it;
- `~author/alias` with `alias_target`: a `ModelAlias`. Older snapshots have no target: skipped
  and noted.
Prices are USD per token as decimal strings; "-1" means variable pricing (routers such as
`openrouter/auto`): the model is imported without a price and the report says so.
`expiration_date` is not imported: in the files it dates the end of a `:free` offering as
often as of a model, so it cannot be read as the model's deprecation.
"""

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from models_catalog import routes, services
from models_catalog.importers import fields
from models_catalog.importers.base import (
    Importer,
    ImportReport,
    MalformedFile,
    RejectedRecord,
    snapshot_date_from_name,
)
from models_catalog.models import AIModel, Direction, Metric, Price, Source

VARIABLE_PRICE = "-1"
MODEL, VARIANT, ALIAS, INVALID = "model", "variant", "alias", "invalid"
_KIND_ORDER = {MODEL: 0, INVALID: 0, VARIANT: 1, ALIAS: 2}
_ID = re.compile(r"^~?(?P<author>[a-z0-9][a-z0-9_-]{0,63})/[\w.:-]+$")
_MODALITY = re.compile(r"^[a-z0-9_-]{1,32}$")
# Artificial Analysis indices as OpenRouter republishes them: key -> (name, description).
AA_METRICS = {
    "intelligence_index": (
        "Intelligence Index",
        "Artificial Analysis Intelligence Index: a composite of reasoning and knowledge evals.",
    ),
    "coding_index": ("Coding Index", "Artificial Analysis Coding Index."),
    "agentic_index": ("Agentic Index", "Artificial Analysis Agentic Index (tool use, agents)."),
}


@dataclass(frozen=True)
class Entry:
    """One record of the file with its role, worked out from the whole file by `load`."""

    raw: Any
    record_id: str
    kind: str
    slug: str = ""  # the model's slug (the base model's for a variant); the alias's slug
    offering: str = Price.STANDARD
    defines_model: bool = True  # False for variants whose base model has its own record


def family_name(slug: str) -> str | None:
    """The documented heuristic: the leading letters of the model part.

    `openai/o4-mini` -> "o", `openai/gpt-5.6-terra` -> "gpt", `qwen/qwen3-32b` -> "qwen".
    Rough (`anthropic/claude-*` is all "claude"), so it only fills an empty family.
    """
    match = re.match(r"[a-z]+", slug.partition("/")[2].lower())
    return match.group(0) if match else None


class OpenRouterImporter(Importer):
    source = Source.OPENROUTER
    description = "OpenRouter models API snapshot (creates providers, models, prices)"

    def __init__(self) -> None:
        self._provider_names: dict[str, str] = {}
        self._listed: set[str] = set()
        self._metrics: dict[str, Metric] = {}
        self._variable_priced: list[str] = []
        self._untargeted_aliases: list[str] = []

    def load(self, path: Path) -> tuple[dt.date | None, list[Entry]]:
        document = fields.read_json(path)
        if not isinstance(document, dict) or not isinstance(document.get("data"), list):
            raise MalformedFile(
                f"{path.name} is not an OpenRouter models listing: expected a JSON object with "
                "a 'data' list (the body of GET https://openrouter.ai/api/v1/models)"
            )
        if not document["data"]:
            raise MalformedFile(f"{path.name} lists no models; refusing an empty snapshot")
        return snapshot_date_from_name(path), self._plan(document["data"])

    def _plan(self, items: list[Any]) -> list[Entry]:
        entries = [self._entry(index, item) for index, item in enumerate(items)]
        base_ids = {e.slug for e in entries if e.kind == MODEL}
        planned: list[Entry] = []
        defined = set(base_ids)
        for entry in entries:
            if entry.kind == VARIANT:
                entry = replace(entry, defines_model=entry.slug not in defined)
                defined.add(entry.slug)
            planned.append(entry)
        self._listed = defined
        self._provider_names = _provider_names(entries)
        # Models before their variants, variants before aliases: each finds what it needs.
        return sorted(planned, key=lambda e: _KIND_ORDER[e.kind])

    @staticmethod
    def _entry(index: int, item: Any) -> Entry:
        record_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(record_id, str) or not _ID.match(record_id):
            shown = record_id if isinstance(record_id, str) else f"data[{index}]"
            return Entry(item, shown, INVALID)
        if record_id.startswith("~"):
            return Entry(item, record_id, ALIAS, slug=record_id)
        if ":" in record_id:
            base, _, offering = record_id.partition(":")
            return Entry(item, record_id, VARIANT, slug=base, offering=offering)
        return Entry(item, record_id, MODEL, slug=record_id)

    def record_id(self, record: Entry) -> str:
        return record.record_id

    def prepare(self, records: list[Entry], as_of: dt.date, report: ImportReport) -> None:
        # Metrics are created here, outside the records' savepoints, so that a rejected first
        # record cannot roll back a Metric row later records point to.
        if not any(isinstance(r.raw, dict) and r.raw.get("benchmarks") for r in records):
            return
        for key, (name, description) in AA_METRICS.items():
            self._metrics[key] = services.metric_get_or_create(
                key=key,
                name=name,
                unit="points",
                direction=Direction.HIGHER_IS_BETTER,
                description=description,
            )

    def import_record(self, record: Entry, as_of: dt.date, report: ImportReport) -> None:
        if record.kind == INVALID:
            raise RejectedRecord(record.record_id, "not a model object with an id author/model")
        if record.kind == ALIAS:
            self._import_alias(record, as_of, report)
            return
        if record.defines_model:
            model, change = self._import_model(record, as_of)
            created, changed = change.created, change.changed
        else:
            base = AIModel.objects.filter(slug=record.slug).first()
            if base is None:
                raise RejectedRecord(record.record_id, f"base model {record.slug} was rejected")
            model = base
            created = not model.prices.filter(offering=record.offering, source=self.source).exists()
            changed = False
        changed |= self._record_price(model, record, as_of)
        if record.defines_model:
            changed |= self._record_benchmarks(model, record, as_of)
        report.count(created=created, changed=changed)

    def _import_model(self, record: Entry, as_of: dt.date) -> tuple[AIModel, services.Change]:
        raw, rid = record.raw, record.record_id
        author = record.slug.partition("/")[0]
        provider, _ = services.provider_get_or_create(
            slug=author, name=self._provider_names.get(author) or _name_from_slug(author)
        )
        architecture = _object(raw, rid, "architecture")
        attributes = _attributes(raw, rid, record.offering)
        needs_family = not AIModel.objects.filter(slug=record.slug, family__isnull=False).exists()
        if needs_family and (family := family_name(record.slug)):
            attributes["family"] = services.family_get_or_create(provider=provider, name=family)
        model, change = services.model_import(
            slug=record.slug,
            provider=provider,
            attributes=attributes,
            source=self.source,
            as_of=as_of,
            input_modalities=_modalities(rid, "input", architecture.get("input_modalities")),
            output_modalities=_modalities(rid, "output", architecture.get("output_modalities")),
        )
        return cast(AIModel, model), change  # create=True always returns the model

    def _record_price(self, model: AIModel, record: Entry, as_of: dt.date) -> bool:
        prices = _prices(record.raw, record.record_id)
        if prices is None:
            self._variable_priced.append(record.record_id)
            return False
        input_price, output_price, cached = prices
        changed = services.price_record(
            model=model,
            source=self.source,
            as_of=as_of,
            offering=record.offering,
            input_per_mtok=input_price,
            output_per_mtok=output_price,
            cached_input_per_mtok=cached,
        )
        if record.offering == Price.STANDARD:
            # OpenRouter is itself a route to the model: an aggregator, at this price.
            changed |= services.route_record(
                model=model, key=routes.OPENROUTER_KEY, name=routes.OPENROUTER.name,
                kind=routes.OPENROUTER.kind, route_model_id=record.record_id,
                base_url=routes.OPENROUTER.base_url, input_per_mtok=input_price,
                output_per_mtok=output_price, cached_input_per_mtok=cached,
                source=self.source, as_of=as_of,
            )  # fmt: skip
        return changed

    def _record_benchmarks(self, model: AIModel, record: Entry, as_of: dt.date) -> bool:
        benchmarks = record.raw.get("benchmarks") or {}
        indices = benchmarks.get("artificial_analysis") if isinstance(benchmarks, dict) else None
        if not isinstance(indices, dict):
            return False
        changed = False
        for key, metric in self._metrics.items():
            if indices.get(key) is None:
                continue
            name = f"benchmarks.artificial_analysis.{key}"
            value = fields.score(record.record_id, name, indices[key], low=0, high=100)
            changed |= services.metric_record(
                model=model,
                metric=metric,
                value=value,
                source=Source.ARTIFICIAL_ANALYSIS,
                via=self.source,
                as_of=as_of,
            )
        return changed

    def _import_alias(self, record: Entry, as_of: dt.date, report: ImportReport) -> None:
        target = record.raw.get("alias_target")
        if target is None:
            self._untargeted_aliases.append(record.record_id)
            return
        target_slug = target.get("slug") if isinstance(target, dict) else None
        model = AIModel.objects.filter(slug=target_slug).first() if target_slug else None
        if model is None:
            raise RejectedRecord(record.record_id, f"alias target {target!r} is not in the catalog")
        change = services.alias_record(
            slug=record.slug, model=model, source=self.source, as_of=as_of
        )
        report.count(created=change.created, changed=change.changed)

    def finish(self, as_of: dt.date, report: ImportReport) -> None:
        report.missing = services.models_missing_from_snapshot(
            source=self.source, seen_slugs=self._listed, as_of=as_of
        )
        if self._variable_priced:
            report.notes.append(
                "variable pricing (-1), imported without a price: "
                + ", ".join(self._variable_priced)
            )
        if self._untargeted_aliases:
            report.notes.append(
                "aliases without alias_target (older snapshots lack it), skipped: "
                + ", ".join(self._untargeted_aliases)
            )


def _attributes(raw: dict[str, Any], rid: str, offering: str) -> dict[str, Any]:
    """The record's model attributes, checked; `RejectedRecord` names the first bad field."""
    top_provider = _object(raw, rid, "top_provider")
    architecture = _object(raw, rid, "architecture")
    name = _display_name(fields.text(rid, "name", raw.get("name")), offering)
    return {
        "name": fields.text(rid, "name", name, max_length=160) or rid,
        "description": fields.text(rid, "description", raw.get("description")),
        "version_slug": fields.text(
            rid, "canonical_slug", raw.get("canonical_slug"), max_length=160
        ),
        "context_window": fields.whole_number(rid, "context_length", raw.get("context_length")),
        "max_output_tokens": fields.whole_number(
            rid, "top_provider.max_completion_tokens", top_provider.get("max_completion_tokens")
        ),
        "knowledge_cutoff": fields.iso_date(rid, "knowledge_cutoff", raw.get("knowledge_cutoff")),
        "release_date": _listed_on(rid, raw.get("created")),
        "tokenizer": fields.text(
            rid, "architecture.tokenizer", architecture.get("tokenizer"), max_length=64
        ),
        "supported_parameters": fields.string_list(
            rid, "supported_parameters", raw.get("supported_parameters")
        ),
        # Weights on Hugging Face mean open weights; no id proves nothing, so None, not False.
        "open_weights": True if raw.get("hugging_face_id") else None,
    }


def _object(raw: dict[str, Any], rid: str, name: str) -> dict[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise RejectedRecord(rid, f"{name} must be an object, got {value!r}")
    return value


def _prices(raw: dict[str, Any], rid: str) -> tuple[Decimal, Decimal, Decimal | None] | None:
    """(input, output, cached input) in USD per 1M tokens; None for variable pricing."""
    pricing = raw.get("pricing")
    if not isinstance(pricing, dict) or "prompt" not in pricing or "completion" not in pricing:
        raise RejectedRecord(rid, "pricing.prompt and pricing.completion are required")
    if VARIABLE_PRICE in (pricing["prompt"], pricing["completion"]):
        return None
    cached = pricing.get("input_cache_read")
    return (
        fields.usd_per_mtok(rid, "pricing.prompt", pricing["prompt"]),
        fields.usd_per_mtok(rid, "pricing.completion", pricing["completion"]),
        fields.usd_per_mtok(rid, "pricing.input_cache_read", cached)
        if cached is not None
        else None,
    )


def _modalities(rid: str, direction: str, value: Any) -> list[str] | None:
    slugs = fields.string_list(rid, f"architecture.{direction}_modalities", value)
    for slug in slugs or []:
        if not _MODALITY.match(slug):
            raise RejectedRecord(rid, f"{direction} modality {slug!r} is not a slug")
    return slugs


def _listed_on(rid: str, created: Any) -> dt.date | None:
    """`created` (Unix seconds, when OpenRouter listed the model) as a UTC date."""
    seconds = fields.whole_number(rid, "created", created)
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date() if seconds else None


def _display_name(name: str, offering: str) -> str:
    """ "OpenAI: o4 Mini (batch)" -> "o4 Mini": no author prefix, no variant suffix."""
    name = " ".join(name.split())
    _, sep, rest = name.partition(": ")
    name = rest if sep else name
    if offering != Price.STANDARD:
        name = re.sub(rf"\s*\({re.escape(offering)}\)$", "", name, flags=re.IGNORECASE)
    return name


def _provider_names(entries: list[Entry]) -> dict[str, str]:
    """Each author's most common "Author: " prefix (some names lack one, e.g. "Claude Opus 5")."""
    counts: dict[str, Counter[str]] = {}
    for entry in entries:
        name = entry.raw.get("name") if entry.kind in (MODEL, VARIANT) else None
        if isinstance(name, str) and ": " in name:
            author = entry.slug.partition("/")[0]
            counts.setdefault(author, Counter())[name.partition(": ")[0].strip()[:120]] += 1
    return {author: c.most_common(1)[0][0] for author, c in counts.items()}


def _name_from_slug(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ").title()
