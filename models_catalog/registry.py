"""What apps above the catalog add to its reads, registered in their `AppConfig.ready()`.

The catalog lists, orders and ranks models by values that other apps store (the reviews app's
rating summary), yet it never imports those apps nor names their fields: imports run
reviews -> models_catalog. An app registers here a `ModelMeasure` per value (its lookup from
`AIModel`, whether it is an ordering key and a rank measure) and a `ModelBrief` per embedded
summary (the relation to join, a renderer, the serializer of its schema); the catalog's
selectors, filters and serializers ask this module for them.

Read only once the app registry is ready (requests, schema generation, tests), never while
apps load: `ready()` of the registering app may not have run yet, and a module built from an
empty registry would silently lack its keys, so reading early raises.

Model versions: the reviews app lists a model's versions with their review counts for the
model page (`model_versions_register`).

Comparison rows: the reviews app adds its rows (rating, sub-ratings) to the side-by-side
comparison (`compare_rows_register`), rendered from the rows `model_list` joined.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import AppRegistryNotReady
from django.db.models import F, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from rest_framework.serializers import Serializer

from models_catalog.models import AIModel, Direction


@dataclass(frozen=True)
class ModelMeasure:
    """A value per model that another app stores, read through a lookup from `AIModel`."""

    key: str  # public name: the ordering key and the rank measure, e.g. `bayesian_average`
    name: str  # display name in ranks
    lookup: str  # ORM path from AIModel, built by the owning app from its own relation name
    direction: Direction
    help: str  # one phrase for the API docs
    ordering: bool = True  # a key of the model list's `ordering`
    ranked: bool = True  # a measure of `/ranks/` (models without a value are not ranked)
    # What a model without a stored value has, for ordering (a count is 0, not unknown);
    # None: no value, sorted last.
    missing: int | None = None

    def expression(self) -> Combinable:
        """What the list orders by."""
        value = F(self.lookup)
        return value if self.missing is None else Coalesce(value, Value(self.missing))


@dataclass(frozen=True)
class ModelBrief:
    """A small summary another app embeds in each model of the list and the model page."""

    field: str  # the output field, e.g. `rating`
    related: str  # the one-to-one relation `model_list` joins, so rendering runs no query
    render: Callable[[AIModel], dict[str, Any]]  # reads the joined row (absent: a default)
    serializer: type[Serializer]  # the schema of what `render` returns
    help_text: str


@dataclass(frozen=True)
class DetailBlock:
    """A block another app adds to the model page only (not the list): e.g. what reviewers
    say. Rendered from a row `model_detail_get` joins (`related`), so rendering runs no
    query; `render(model, request)` may build absolute links (the page is kept per origin).
    What it shows must follow the model's generation (`model:{slug}`): its writer bumps it."""

    field: str
    related: str
    render: Callable[[AIModel, HttpRequest | None], dict[str, Any]]
    serializer: type[Serializer]
    help_text: str


_MEASURES: dict[str, ModelMeasure] = {}
_BRIEFS: dict[str, ModelBrief] = {}
_DETAIL_BLOCKS: dict[str, DetailBlock] = {}


def detail_block_register(block: DetailBlock) -> None:
    """Add (or replace, by field) a block of the model page; call from `AppConfig.ready()`."""
    _DETAIL_BLOCKS[block.field] = block


def detail_block_list() -> list[DetailBlock]:
    """Registered model page blocks in registration order."""
    _check_ready()
    return list(_DETAIL_BLOCKS.values())


def measure_register(measure: ModelMeasure) -> None:
    """Add (or replace, by key) a measure; call from `AppConfig.ready()`."""
    _MEASURES[measure.key] = measure


def brief_register(brief: ModelBrief) -> None:
    """Add (or replace, by field) an embedded summary; call from `AppConfig.ready()`."""
    _BRIEFS[brief.field] = brief


def _check_ready() -> None:
    if not apps.ready:
        raise AppRegistryNotReady("The catalog registry is read only after every ready().")


def measure_list(*, ordering: bool | None = None, ranked: bool | None = None) -> list[ModelMeasure]:
    """Registered measures in registration order, optionally only ordering keys or ranked."""
    _check_ready()
    return [
        m
        for m in _MEASURES.values()
        if (ordering is None or m.ordering == ordering) and (ranked is None or m.ranked == ranked)
    ]


def brief_list() -> list[ModelBrief]:
    """Registered embedded summaries in registration order."""
    _check_ready()
    return list(_BRIEFS.values())


@dataclass(frozen=True)
class ModelVersion:
    """One version of a model as its page lists it."""

    slug: str  # the canonical spelling, e.g. openai/o4-mini-2025-04-16
    current: bool  # the catalog's canonical version today
    review_count: int


VersionLister = Callable[[AIModel], list[ModelVersion]]
_version_lister: list[VersionLister] = []


def model_versions_register(lister: VersionLister) -> None:
    """Set the function that lists a model's versions with their review counts (the reviews
    app; one lister). It must run no query for a model from `model_detail_get`."""
    _version_lister[:] = [lister]


def model_versions(model: AIModel) -> list[ModelVersion]:
    """The model's versions, the current one first; just the current one, unreviewed, when
    no app registered a lister."""
    if _version_lister:
        return _version_lister[0](model)
    return [ModelVersion(slug=model.version_slug or model.slug, current=True, review_count=0)]


# --- Parts of the model page bundle (`?include=`) -----------------------------------------

# (request, the model's canonical slug) -> a JSON body, pre-rendered where possible. A part
# must show only what the generations of the bundle cover (config.documents): the catalog,
# the ratings, the reviewers and the model's own generation.
PagePart = Callable[[HttpRequest, str], bytes]
_PAGE_PARTS: dict[str, PagePart] = {}


def page_part_register(name: str, part: PagePart) -> None:
    """Add (or replace) a part the model page can include by `name`; call from `ready()`."""
    _PAGE_PARTS[name] = part


def page_part_list() -> dict[str, PagePart]:
    """Registered parts by name, in registration order."""
    _check_ready()
    return dict(_PAGE_PARTS)


@dataclass(frozen=True)
class CompareRow:
    """One row of the side-by-side comparison: one value per compared model, in order."""

    group: str  # e.g. `ratings`
    key: str
    name: str
    direction: Direction | None  # None: no value is better than another
    values: list[Any]  # Decimal, float, int, date, bool, str or None (no value)
    unit: str = ""


CompareRowsSource = Callable[[list[AIModel]], list[CompareRow]]
_compare_sources: list[CompareRowsSource] = []


def compare_rows_register(source: CompareRowsSource) -> None:
    """Add a function that returns rows for the compared models (from `model_list`, with the
    registered briefs' rows joined): it must run no query. Call from `AppConfig.ready()`."""
    if source not in _compare_sources:
        _compare_sources.append(source)


def compare_rows(models: list[AIModel]) -> list[CompareRow]:
    """Every registered app's rows for these models, in registration order."""
    _check_ready()
    return [row for source in _compare_sources for row in source(models)]


@dataclass(frozen=True)
class RegisteredRank:
    """A rank another app computes for a model (e.g. per use case), shown in `ranks/` among
    all models as `measure: k of n models`."""

    measure: str
    measure_name: str
    rank: int
    total: int
    direction: Direction


RankLister = Callable[[AIModel], list[RegisteredRank]]
_rank_listers: list[RankLister] = []


def ranks_register(lister: RankLister) -> None:
    """Add a function that lists a model's ranks in a fixed number of queries."""
    if lister not in _rank_listers:
        _rank_listers.append(lister)


def registered_ranks(model: AIModel) -> list[RegisteredRank]:
    _check_ready()
    return [rank for lister in _rank_listers for rank in lister(model)]
