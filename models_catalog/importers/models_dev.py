"""models.dev's canonical model files (`models/<lab>/<model>.toml`): enriches, never creates.

FILE is the `models-dev` folder or its `models/` subfolder. Each file enriches the catalog
model it names: the lab maps to catalog providers (`LAB_PROVIDERS`), the file name to a
model part (dots or dashes, a date suffix: see `matching`). Written with source
`models_dev`: release_date and open_weights (models.dev outranks OpenRouter for these),
knowledge cutoff (`knowledge` YYYY-MM is read as the month's first day; OpenRouter's exact
day outranks it) and the context/output limits where no better source set them. When two
files name one model (`claude-opus-4-1.toml`, `claude-opus-4-1-20250805.toml`), the closer
name writes. Files that name no catalog model are listed as unmatched.
"""

import datetime as dt
import tomllib
from dataclasses import dataclass
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
from models_catalog.models import AIModel, Source

# models.dev lab -> catalog providers to look in, best first (default: the lab's own name).
LAB_PROVIDERS: dict[str, list[str]] = {
    "alibaba": ["qwen", "alibaba"],
    "zhipuai": ["z-ai"],
    "xai": ["x-ai"],
    "mistral": ["mistralai"],
    "meta": ["meta-llama", "meta"],
    "moonshotai": ["moonshotai"],
}
# Files whose name normalisation cannot place (API date names, "-latest" aliases, a
# different word order), checked by hand: `lab/file` -> catalog slug.
MODEL_NAMES: dict[str, str] = {
    "alibaba/qwen3-coder-480b-a35b-instruct": "qwen/qwen3-coder",
    "cohere/north-mini-code-1-0": "cohere/north-mini-code",
    "meta/llama-4-maverick-17b-instruct": "meta-llama/llama-4-maverick",
    "meta/llama-4-scout-17b-instruct": "meta-llama/llama-4-scout",
    "mistral/mistral-medium-2505": "mistralai/mistral-medium-3",
    "mistral/mistral-small-2506": "mistralai/mistral-small-3.2-24b-instruct",
    "openai/gpt-5-chat-latest": "openai/gpt-5-chat",
    "openai/gpt-5.1-chat-latest": "openai/gpt-5.1-chat",
    "openai/gpt-5.2-chat-latest": "openai/gpt-5.2-chat",
    "openai/gpt-5.3-chat-latest": "openai/gpt-5.3-chat",
    "xai/grok-4.20-0309-reasoning": "x-ai/grok-4.20",
}


@dataclass(frozen=True)
class ModelFile:
    lab: str
    name: str  # the file name without `.toml`
    data: dict[str, Any] | None
    error: str = ""

    @property
    def record_id(self) -> str:
        return f"{self.lab}/{self.name}"


class ModelsDevImporter(Importer):
    source = Source.MODELS_DEV
    description = "models.dev model files (enriches: release date, open weights, cutoff)"

    def __init__(self) -> None:
        self._winners: dict[str, Match] = {}
        self._superseded: dict[str, str] = {}
        self._month_only: list[str] = []

    def load(self, path: Path) -> tuple[dt.date | None, list[ModelFile]]:
        folder = path / "models" if (path / "models").is_dir() else path
        files = sorted(folder.glob("*/*.toml")) if folder.is_dir() else []
        if not files:
            raise MalformedFile(
                f"{path} holds no <lab>/<model>.toml files: pass the models.dev folder "
                "(models-dev) or its models/ subfolder"
            )
        return snapshot_date_from_name(path), [_read(file) for file in files]

    def record_id(self, record: ModelFile) -> str:
        return record.record_id

    def prepare(self, records: list[ModelFile], as_of: dt.date, report: ImportReport) -> None:
        index = CatalogIndex.from_catalog()
        matches = {r.record_id: _match(index, r) for r in records}
        self._winners, self._superseded = best_per_model(
            matches, rank=lambda record_id, match: (match.level, record_id)
        )

    def import_record(self, record: ModelFile, as_of: dt.date, report: ImportReport) -> None:
        if record.data is None:
            raise RejectedRecord(record.record_id, record.error)
        match = self._winners.get(record.record_id)
        if match is None:
            if record.record_id not in self._superseded:
                report.unmatched.append(record.record_id)
            return
        model = AIModel.objects.select_related("provider").get(pk=match.model_id)
        _, change = services.model_import(
            slug=model.slug,
            provider=model.provider,
            attributes=_attributes(record.record_id, record.data),
            source=self.source,
            as_of=as_of,
            create=False,
        )
        report.count(created=False, changed=change.changed)
        if _is_month(record.data.get("release_date")):
            self._month_only.append(record.record_id)

    def finish(self, as_of: dt.date, report: ImportReport) -> None:
        if self._superseded:
            pairs = ", ".join(f"{lost} (kept {won})" for lost, won in self._superseded.items())
            report.notes.append(f"files naming a model another file covered: {pairs}")
        if self._month_only:
            report.notes.append(
                "release_date is only a month, not imported: " + ", ".join(self._month_only)
            )


def _match(index: CatalogIndex, record: ModelFile) -> Match | None:
    if record.record_id in MODEL_NAMES:
        return index.get(MODEL_NAMES[record.record_id])
    return index.find(record.name, providers=LAB_PROVIDERS.get(record.lab, [record.lab]))


def _read(file: Path) -> ModelFile:
    lab, name = file.parent.name, file.stem
    try:
        return ModelFile(lab, name, tomllib.loads(file.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return ModelFile(lab, name, None, f"not valid TOML: {exc}")


def _attributes(rid: str, data: dict[str, Any]) -> dict[str, Any]:
    limit = data.get("limit") or {}
    if not isinstance(limit, dict):
        raise RejectedRecord(rid, f"[limit] must be a table, got {limit!r}")
    open_weights = data.get("open_weights")
    if open_weights is not None and not isinstance(open_weights, bool):
        raise RejectedRecord(rid, f"open_weights must be true or false, got {open_weights!r}")
    release_date = data.get("release_date")
    if _is_month(release_date):
        # A month alone ("2025-04", a few files) would pass for a day and outrank
        # OpenRouter's listing day, which is then the better guess: left out.
        release_date = None
    return {
        "release_date": fields.iso_date(rid, "release_date", release_date),
        "open_weights": open_weights,
        "knowledge_cutoff": fields.month_or_date(rid, "knowledge", data.get("knowledge")),
        "context_window": fields.whole_number(rid, "limit.context", limit.get("context")),
        "max_output_tokens": fields.whole_number(rid, "limit.output", limit.get("output")),
    }


def _is_month(value: Any) -> bool:
    return isinstance(value, str) and len(value) == len("YYYY-MM") and value[4] == "-"
