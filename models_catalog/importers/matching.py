"""Finding catalog models by the names other sources give them.

OpenRouter ids are the catalog's slugs (`openai/o4-mini`, dated version
`openai/o4-mini-2025-04-16`). Other sources spell the same model differently: dashes for
dots (`claude-opus-4-1`), no dash before a version (`qwen2.5-72b-instruct`), a release date
appended (`claude-opus-4-1-20250805`), a region or reseller prefix. The index compares
*keys*: lower case with every separator removed. It answers with the best of these levels:

    EXACT    the key of the slug's model part        `o4-mini`             -> openai/o4-mini
    VERSION  the key of the version slug's part      `o4-mini-2025-04-16`  -> openai/o4-mini
    UNDATED  the key after dropping a date suffix    `claude-opus-4-1-20250805`
                                                                           -> .../claude-opus-4.1

A key that names two models at one level is ambiguous and matches nothing at that level:
a wrong match is worse than none.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from models_catalog.models import AIModel

EXPLICIT, EXACT, VERSION, UNDATED = 0, 1, 2, 3
_SEPARATORS = re.compile(r"[\s._/-]+")
# `-20250805`, `-2025-08-05`, `@20241022` or `@001` (Vertex), `:0` (Bedrock revisions).
_DATE_SUFFIX = re.compile(r"(?:[-@](?:\d{8}|\d{4}-\d{2}-\d{2})|@[\w.-]+|:\d+)$")

R = TypeVar("R")


def name_key(name: str) -> str:
    """`Claude-Opus_4.1` -> `claudeopus41`: the form names are compared in."""
    return _SEPARATORS.sub("", name.lower())


def undated(name: str) -> str | None:
    """`claude-opus-4-1-20250805` -> `claude-opus-4-1`; None if there is no date suffix."""
    stripped = _DATE_SUFFIX.sub("", name.lower())
    return stripped if stripped != name.lower() else None


@dataclass(frozen=True)
class Match:
    model_id: int
    slug: str
    level: int


class CatalogIndex:
    """An in-memory index of the catalog's slugs, built once per import (a few hundred rows)."""

    def __init__(self, rows: Iterable[tuple[int, str, str]]):
        # (level, provider, key) -> {model ids}; provider "" indexes every provider.
        self._keys: dict[tuple[int, str, str], set[int]] = defaultdict(set)
        self.slugs: dict[int, str] = {}
        for model_id, slug, version_slug in rows:
            self.slugs[model_id] = slug
            provider, _, part = slug.partition("/")
            version_part = version_slug.partition("/")[2]
            for level, name in ((EXACT, part), (VERSION, version_part)):
                if name:
                    self._keys[(level, provider, name_key(name))].add(model_id)
                    self._keys[(level, "", name_key(name))].add(model_id)
        self._by_slug = {slug: model_id for model_id, slug in self.slugs.items()}

    @classmethod
    def from_catalog(cls) -> "CatalogIndex":
        return cls(AIModel.objects.values_list("id", "slug", "version_slug"))

    def get(self, slug: str) -> Match | None:
        """The model whose slug is exactly `slug` (for explicit mapping tables)."""
        model_id = self._by_slug.get(slug)
        return Match(model_id, slug, EXPLICIT) if model_id is not None else None

    def find(self, name: str, providers: Iterable[str] = ("",)) -> Match | None:
        """The best unambiguous match of `name` among `providers`' models (all by default)."""
        attempts = [(EXACT, name), (VERSION, name)]
        if (plain := undated(name)) is not None:
            attempts += [(UNDATED, plain)]
        for level, candidate in attempts:
            for provider in providers:
                lookup_level = EXACT if level == UNDATED else level
                ids = self._keys.get((lookup_level, provider, name_key(candidate)), set())
                if len(ids) == 1:
                    model_id = next(iter(ids))
                    return Match(model_id, self.slugs[model_id], level)
        return None


def best_per_model(
    matches: dict[str, Match | None], rank: Callable[[str, Match], Any]
) -> tuple[dict[str, Match], dict[str, str]]:
    """Let one record per model through: the one with the lowest `rank(record_id, match)`.

    Returns `(winners, superseded)`: winner record id -> match, and each losing record id ->
    the id of the record that won its model. Several records often name one model (dated
    and undated entries, `-thinking` variants); writing all of them would make the model's
    values depend on the order of the file.
    """
    best: dict[int, tuple[Any, str, Match]] = {}
    for record_id, match in matches.items():
        if match is None:
            continue
        key = rank(record_id, match)
        if match.model_id not in best or key < best[match.model_id][0]:
            best[match.model_id] = (key, record_id, match)
    winners = {record_id: match for _, record_id, match in best.values()}
    superseded = {
        record_id: best[match.model_id][1]
        for record_id, match in matches.items()
        if match is not None and record_id not in winners
    }
    return winners, superseded
