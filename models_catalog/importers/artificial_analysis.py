"""Artificial Analysis: intelligence, coding and math indexes, output speed and time to first
token. Enriches, never creates.

The file is the body of their models API (`GET /api/v2/data/llms/models`, key in the
`x-api-key` header): `{"status": 200, "data": [entry, ...]}`, each entry with `slug`,
`model_creator.slug`, `evaluations.artificial_analysis_{intelligence,coding,math}_index`,
`median_output_tokens_per_second` and `median_time_to_first_token_seconds`. No snapshot of
theirs ships with this project: their terms require a key and attribution, so each metric's
description carries the attribution and every value the source `artificial_analysis`.
`fetch` downloads the body with `ARTIFICIAL_ANALYSIS_API_KEY` (`import_catalog --fetch`).

A null value is not measured; so is a speed or latency of 0 (their API reports an
unmeasured model so). Entries match catalog models by slug under their creator, else by slug
among every provider; the report lists every unmatched entry.
"""

import datetime as dt
import json
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
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
from models_catalog.models import AIModel, Direction, Metric, Source

API_URL = "https://artificialanalysis.ai/api/v2/data/llms/models"
ATTRIBUTION = "Data: Artificial Analysis (https://artificialanalysis.ai/)."
FETCH_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class _MetricSpec:
    key: str
    name: str
    unit: str
    direction: Direction
    path: tuple[str, ...]  # where the value is in an entry
    high: float  # the largest plausible value
    zero_is_unmeasured: bool = False


METRICS = (
    _MetricSpec("aa_intelligence_index", "Intelligence index", "points",
                Direction.HIGHER_IS_BETTER,
                ("evaluations", "artificial_analysis_intelligence_index"), 100),
    _MetricSpec("aa_coding_index", "Coding index", "points", Direction.HIGHER_IS_BETTER,
                ("evaluations", "artificial_analysis_coding_index"), 100),
    _MetricSpec("aa_math_index", "Math index", "points", Direction.HIGHER_IS_BETTER,
                ("evaluations", "artificial_analysis_math_index"), 100),
    _MetricSpec("output_speed", "Output speed (median)", "tokens/s", Direction.HIGHER_IS_BETTER,
                ("median_output_tokens_per_second",), 100_000, zero_is_unmeasured=True),
    _MetricSpec("time_to_first_token", "Time to first token (median)", "s",
                Direction.LOWER_IS_BETTER, ("median_time_to_first_token_seconds",), 3_600,
                zero_is_unmeasured=True),
)  # fmt: skip


def fetch(destination: Path, api_key: str) -> Path:
    """Download the models API body to `destination` (a dated name lets the import date
    it). Raises `MalformedFile` when the request fails or the body is not JSON."""
    request = urllib.request.Request(API_URL, headers={"x-api-key": api_key})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read()
        json.loads(body)
    except (OSError, ValueError) as exc:
        raise MalformedFile(f"fetching {API_URL} failed: {exc}") from None
    destination.write_bytes(body)
    return destination


def _value_at(entry: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = entry
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


class ArtificialAnalysisImporter(Importer):
    source = Source.ARTIFICIAL_ANALYSIS
    description = "Artificial Analysis models API (enriches: indexes, speed, latency)"

    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}
        self._winners: dict[str, Match] = {}
        self._superseded: dict[str, str] = {}

    def load(self, path: Path) -> tuple[dt.date | None, list[dict[str, Any]]]:
        document = fields.read_json(path)
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, list) or not data:
            raise MalformedFile(
                f"{path.name} is not an Artificial Analysis models body: expected a JSON "
                'object with a non-empty "data" list of models'
            )
        return snapshot_date_from_name(path), data

    def record_id(self, record: Any) -> str:
        slug = record.get("slug") if isinstance(record, dict) else None
        return str(slug) if slug else repr(record)[:60]

    def prepare(self, records: list[Any], as_of: dt.date, report: ImportReport) -> None:
        self._metrics = {
            spec.key: services.metric_get_or_create(
                key=spec.key, name=spec.name, unit=spec.unit, direction=spec.direction,
                description=f"{spec.name}, Artificial Analysis. {ATTRIBUTION}",
            )
            for spec in METRICS
        }  # fmt: skip
        index = CatalogIndex.from_catalog()
        matches = {self.record_id(r): self._match(index, r) for r in records}
        self._winners, self._superseded = best_per_model(
            matches, rank=lambda record_id, match: (match.level, record_id)
        )
        report.notes.append(ATTRIBUTION)

    def _match(self, index: CatalogIndex, record: Any) -> Match | None:
        if not isinstance(record, dict) or not isinstance(record.get("slug"), str):
            return None
        creator = _value_at(record, ("model_creator", "slug"))
        providers = (creator, "") if isinstance(creator, str) and creator else ("",)
        return index.find(record["slug"], providers)

    def import_record(self, record: Any, as_of: dt.date, report: ImportReport) -> None:
        record_id = self.record_id(record)
        if not isinstance(record, dict) or not isinstance(record.get("slug"), str):
            raise RejectedRecord(record_id, "an entry must be an object with a string slug")
        values = self._values(record_id, record)
        match = self._winners.get(record_id)
        if match is None:
            superseded = self._superseded.get(record_id)
            report.unmatched.append(
                f"{record_id} (same model as {superseded}, which is used)" if superseded
                else record_id
            )  # fmt: skip
            return
        model = AIModel.objects.get(pk=match.model_id)
        changed = False
        for key, value in values.items():
            changed |= services.metric_record(
                model=model, metric=self._metrics[key], value=value, source=self.source,
                as_of=as_of,
            )  # fmt: skip
        report.count(created=False, changed=changed)

    def _values(self, record_id: str, record: dict[str, Any]) -> dict[str, Decimal]:
        """The entry's measured values by metric key (checked before anything is written)."""
        values = {}
        for spec in METRICS:
            raw = _value_at(record, spec.path)
            if raw is None or (spec.zero_is_unmeasured and raw == 0):
                continue
            values[spec.key] = fields.score(record_id, spec.path[-1], raw, low=0, high=spec.high)
        return values
