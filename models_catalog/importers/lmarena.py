"""LMArena (Chatbot Arena) leaderboards, style control: enriches, never creates.

The file is `{category: {arena_name: {rating, rating_q025, rating_q975}}}`. The `full`
category becomes the metric `arena_text` or `arena_vision` (Elo scale, higher is better,
with the 95% interval as ci_low/ci_high). Which board a file is comes from `--board` or its
categories (only the vision board has `ocr`, `captioning`, ...).

Arena names are not catalog slugs. A name matches through `ARENA_NAMES` (explicit, checked
by a person) or else by normalisation against every model's slug and version slug
(`o4-mini-2025-04-16` is the version of `openai/o4-mini`). Configurations of one model
(`-thinking-32k`, `-high`) are distinct entries on the board; they stay unmatched unless the
table says which catalog model they stand for. The report lists every unmatched name.
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
from models_catalog.importers.lmarena_names import ARENA_NAMES
from models_catalog.importers.matching import CatalogIndex, Match, best_per_model
from models_catalog.models import AIModel, Direction, Metric, Source

BOARD_CATEGORY = "full"
VISION_ONLY_CATEGORIES = {"ocr", "captioning", "diagram", "entity_recognition", "homework"}
BOARDS = {
    "text": ("arena_text", "LMArena text", "LMArena text arena score, style control."),
    "vision": ("arena_vision", "LMArena vision", "LMArena vision arena score, style control."),
}
# Arena scores sit around 1000-1500; anything above this is not a rating.
MAX_RATING = 5000

Record = tuple[str, Any]


class LMArenaImporter(Importer):
    source = Source.LMARENA
    description = "LMArena leaderboard, style control (enriches: arena_text / arena_vision)"
    _metric: Metric  # set by `prepare`

    def __init__(self, board: str | None = None) -> None:
        if board is not None and board not in BOARDS:
            raise ValueError(f"board must be one of {sorted(BOARDS)}, got {board!r}")
        self.board = board
        self._winners: dict[str, Match] = {}
        self._superseded: dict[str, str] = {}
        self._missing_targets: dict[str, str] = {}

    def load(self, path: Path) -> tuple[dt.date | None, list[Record]]:
        document = fields.read_json(path)
        board = document.get(BOARD_CATEGORY) if isinstance(document, dict) else None
        if not isinstance(board, dict) or not board:
            raise MalformedFile(
                f"{path.name} is not an LMArena leaderboard: expected a JSON object of "
                f"categories with a non-empty {BOARD_CATEGORY!r} board of model ratings"
            )
        if self.board is None:
            self.board = "vision" if VISION_ONLY_CATEGORIES & set(document) else "text"
        return snapshot_date_from_name(path), list(board.items())

    def record_id(self, record: Record) -> str:
        return record[0]

    def prepare(self, records: list[Record], as_of: dt.date, report: ImportReport) -> None:
        key, name, description = BOARDS[self.board or "text"]
        self._metric = services.metric_get_or_create(
            key=key,
            name=name,
            unit="Elo",
            direction=Direction.HIGHER_IS_BETTER,
            description=description,
        )
        index = CatalogIndex.from_catalog()
        matches = {arena_name: self._match(index, arena_name) for arena_name, _ in records}
        self._winners, self._superseded = best_per_model(
            matches, rank=lambda arena_name, match: (match.level, arena_name)
        )

    def _match(self, index: CatalogIndex, arena_name: str) -> Match | None:
        if arena_name in ARENA_NAMES:
            match = index.get(ARENA_NAMES[arena_name])
            if match is None:
                self._missing_targets[arena_name] = ARENA_NAMES[arena_name]
            return match
        return index.find(arena_name)

    def import_record(self, record: Record, as_of: dt.date, report: ImportReport) -> None:
        arena_name, scores = record
        if not isinstance(scores, dict):
            raise RejectedRecord(arena_name, f"ratings must be an object, got {scores!r}")
        value, ci_low, ci_high = (
            fields.score(arena_name, field, scores.get(field), low=0, high=MAX_RATING)
            for field in ("rating", "rating_q025", "rating_q975")
        )
        if not ci_low <= value <= ci_high:
            raise RejectedRecord(arena_name, "rating lies outside its own 95% interval")
        match = self._winners.get(arena_name)
        if match is None:
            report.unmatched.append(self._why_unmatched(arena_name))
            return
        changed = services.metric_record(
            model=AIModel.objects.get(pk=match.model_id),
            metric=self._metric,
            value=value,
            ci_low=ci_low,
            ci_high=ci_high,
            source=self.source,
            as_of=as_of,
        )
        report.count(created=False, changed=changed)

    def _why_unmatched(self, arena_name: str) -> str:
        if arena_name in self._superseded:
            return f"{arena_name} (same model as {self._superseded[arena_name]}, which is used)"
        if arena_name in self._missing_targets:
            return f"{arena_name} (mapped to {self._missing_targets[arena_name]}: not in catalog)"
        return arena_name
