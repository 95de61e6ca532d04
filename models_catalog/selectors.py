"""Reads of the catalog: providers, the model list and page, the cost calculator and ranks.

Side-effect free. Every function runs a bounded number of queries, independent of how many
rows it returns (lists prefetch; ranks load the whole catalog's current values in a few
queries and rank in Python). Slugs are resolved in one place, `model_resolve`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, localcontext
from typing import Any, NamedTuple

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from models_catalog import registry
from models_catalog.exceptions import ModelNotFound, PriceUnavailable, ProviderNotFound
from models_catalog.models import (
    AIModel,
    Direction,
    MembershipRole,
    Metric,
    MetricValue,
    ModelAlias,
    ModelFamily,
    Price,
    Provider,
    ProviderMembership,
)
from models_catalog.services import PRICE_SOURCE_PREFERENCE

TOKENS_PER_PRICE_UNIT = 1_000_000  # prices are per 1M tokens
FREE_OFFERING = "free"
# Cost arithmetic must be exact: tokens (<= 10**12, 13 digits) times a price (14 digits) needs
# at most 27 significant digits, so 60 never rounds; Inexact is trapped to prove it.
_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, DivisionByZero])


def _is_valid_lookup(slug: str) -> bool:
    # PostgreSQL rejects NUL in text parameters with an error; such a slug names nothing.
    return "\x00" not in slug


# --- Providers -------------------------------------------------------------------------


def provider_list() -> QuerySet[Provider]:
    """Providers by name, each annotated with `model_count`."""
    return Provider.objects.annotate(model_count=Count("models")).order_by("name", "slug")


def provider_get(*, slug: str) -> Provider:
    """One provider with `model_count`, `claimed` and its `families` (each with `model_count`).

    Raises `ProviderNotFound`.
    """
    families = ModelFamily.objects.annotate(model_count=Count("models")).order_by("name", "slug")
    managers = ProviderMembership.objects.filter(
        provider=OuterRef("pk"), role=MembershipRole.MANAGER
    )
    providers = provider_list().prefetch_related(Prefetch("families", queryset=families))
    # `claimed`: the provider has a manager who speaks for it on the platform.
    providers = providers.annotate(claimed=Exists(managers))
    provider = providers.filter(slug=slug).first() if _is_valid_lookup(slug) else None
    if provider is None:
        raise ProviderNotFound(f"No provider has the slug {slug!r}.")
    return provider


# --- Current prices and metric values --------------------------------------------------


def price_current_list() -> QuerySet[Price]:
    """The price in force for each model and offering.

    Per (model, offering): the preferred source first (as `price_refresh_current` chooses the
    standard price), then the newest `as_of`; the highest id breaks a remaining tie.
    """
    source_rank = Case(
        *(When(source=source, then=Value(i)) for i, source in enumerate(PRICE_SOURCE_PREFERENCE)),
        default=Value(len(PRICE_SOURCE_PREFERENCE)),
        output_field=IntegerField(),
    )
    row = Window(
        RowNumber(),
        partition_by=[F("model_id"), F("offering")],
        order_by=[source_rank.asc(), F("as_of").desc(), F("id").desc()],
    )
    return Price.objects.annotate(row=row).filter(row=1)


def metric_value_current_list() -> QuerySet[MetricValue]:
    """The newest value per (model, metric); the highest id breaks a tie on `as_of`."""
    row = Window(
        RowNumber(),
        partition_by=[F("model_id"), F("metric_id")],
        order_by=[F("as_of").desc(), F("id").desc()],
    )
    return MetricValue.objects.annotate(row=row).filter(row=1)


def price_current_get(model: AIModel, *, offering: str = Price.STANDARD) -> Price | None:
    """The price in force for one offering of `model`; None when it has none (routers)."""
    if offering == Price.STANDARD:
        return model.current_price
    return price_current_list().filter(model=model, offering=offering).first()


# --- Models ----------------------------------------------------------------------------


def model_list() -> QuerySet[AIModel]:
    """All models by slug, with provider, family, current price, modalities and the rows of
    the embedded summaries other apps register (`registry.brief_list`, e.g. the rating)
    preloaded.

    The API narrows and orders it with `ModelListFilter`; the query count stays the same
    for any page size (one query per prefetched relation; registered rows are joined).
    """
    related = [brief.related for brief in registry.brief_list()]
    return (
        AIModel.objects.select_related("provider", "family", "current_price", *related)
        .prefetch_related("input_modalities", "output_modalities")
        .order_by("slug")
    )


@dataclass(frozen=True)
class ResolvedModel:
    model: AIModel
    # The `:variant` suffix when the slug named a variant of the model (`o4-mini:batch`).
    variant: str | None = None


def _find(models: QuerySet[AIModel], slug: str) -> AIModel | None:
    """The model with this exact slug, else the one this alias names."""
    model = models.filter(slug=slug).first()
    if model is not None:
        return model
    target = ModelAlias.objects.filter(slug=slug).values_list("model_id", flat=True).first()
    return None if target is None else models.filter(pk=target).first()


def model_resolve(slug: str, *, queryset: QuerySet[AIModel] | None = None) -> ResolvedModel:
    """Resolve `slug` to a model, in order: exact slug, alias, variant id `base:variant`.

    `queryset` decides what is preloaded. Raises `ModelNotFound`.
    """
    models = queryset if queryset is not None else model_list()
    if _is_valid_lookup(slug):
        model = _find(models, slug)
        if model is not None:
            return ResolvedModel(model)
        base, colon, variant = slug.rpartition(":")
        if colon and variant and "/" in base and "/" not in variant:
            model = _find(models, base)
            if model is not None:
                return ResolvedModel(model, variant)
    raise ModelNotFound(f"No model, alias or variant is named {slug!r}.")


def model_get_by_slug(slug: str, *, queryset: QuerySet[AIModel] | None = None) -> AIModel:
    """The model an exact slug, alias or variant id names. Raises `ModelNotFound`."""
    return model_resolve(slug, queryset=queryset).model


def model_detail_get(slug: str) -> AIModel:
    """The model for its page, with everything the page shows preloaded.

    Adds `current_metric_values` (newest per metric, by key), `current_offerings` (current
    non-standard prices, by offering) and `family.members` (the family's models, newest first).
    Raises `ModelNotFound`.
    """
    members = AIModel.objects.only("id", "slug", "name", "family_id").order_by(
        F("release_date").desc(nulls_last=True), "slug"
    )
    queryset = (
        model_list()
        .select_related("successor")
        .prefetch_related(
            "best_for",
            "editorial_points",
            "faq",
            Prefetch(
                "metric_values",
                queryset=metric_value_current_list().select_related("metric").order_by("metric"),
                to_attr="current_metric_values",
            ),
            Prefetch(
                "prices",
                queryset=price_current_list().exclude(offering=Price.STANDARD).order_by("offering"),
                to_attr="current_offerings",
            ),
            Prefetch("family__models", queryset=members, to_attr="members"),
        )
    )
    return model_get_by_slug(slug, queryset=queryset)


# --- Cost ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostPart:
    part: str  # input | cached_input | output
    tokens: int
    price_applied: str  # the price of the offering that billed these tokens
    price_per_million: Decimal
    cost: Decimal


@dataclass(frozen=True)
class CostEstimate:
    model: AIModel
    price: Price
    parts: list[CostPart]
    total: Decimal


def _price_unavailable(model: AIModel, offering: str) -> PriceUnavailable:
    others = price_current_list().filter(model=model).exclude(offering=Price.STANDARD)
    offered = set(others.values_list("offering", flat=True))
    if model.current_price_id is not None:
        offered.add(Price.STANDARD)
    if not offered:
        return PriceUnavailable(
            f"{model.slug} has no fixed price on record: its price is variable or not "
            "published (a router bills the price of the model it routes each request to)."
        )
    return PriceUnavailable(
        f"{model.slug} has no {offering!r} price on record; "
        f"offerings with a price: {', '.join(sorted(offered))}."
    )


def model_cost_estimate(
    *,
    slug: str,
    input_tokens: int = 0,
    cached_input_tokens: int = 0,
    output_tokens: int = 0,
    offering: str | None = None,
) -> CostEstimate:
    """Exact cost of a request: tokens x price per 1M tokens / 1M, per part and in total.

    The offering is `offering`, else the variant the slug names (`:free`), else standard.
    Cached input tokens are billed at the input price when the offering has no cached price.
    Raises `ModelNotFound`, `PriceUnavailable`.
    """
    resolved = model_resolve(slug, queryset=AIModel.objects.select_related("current_price"))
    model = resolved.model
    offering = offering or resolved.variant or Price.STANDARD
    price = price_current_get(model, offering=offering)
    if price is None:
        raise _price_unavailable(model, offering)
    rates = {"input": price.input_per_mtok, "output": price.output_per_mtok}
    if price.cached_input_per_mtok is not None:
        rates["cached_input"] = price.cached_input_per_mtok
    cached_rate = "cached_input" if "cached_input" in rates else "input"
    billed = [
        ("input", input_tokens, "input"),
        ("cached_input", cached_input_tokens, cached_rate),
        ("output", output_tokens, "output"),
    ]
    parts = []
    with localcontext(_EXACT):
        for part, tokens, applied in billed:
            cost = tokens * rates[applied] / TOKENS_PER_PRICE_UNIT
            parts.append(CostPart(part, tokens, applied, rates[applied], cost))
        total = sum((p.cost for p in parts), Decimal(0))
    return CostEstimate(model=model, price=price, parts=parts, total=total)


# --- Ranks -----------------------------------------------------------------------------

CATEGORIES = ["all", "multimodal", "open_weights", "reasoning", "free"]
_CATEGORY_NOUNS = {
    "all": "models",
    "multimodal": "multimodal models",
    "open_weights": "open-weights models",
    "reasoning": "reasoning models",
    "free": "free models",
}


@dataclass(frozen=True)
class Rank:
    category: str
    measure: str
    measure_name: str
    rank: int
    total: int
    direction: str

    @property
    def label(self) -> str:
        """E.g. `input_price: 70 of 124 multimodal models, lower is better`."""
        better = Direction(self.direction).label.lower()
        of = f"{self.rank} of {self.total} {_CATEGORY_NOUNS[self.category]}"
        return f"{self.measure}: {of}, {better}"


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    direction: str
    # model id -> value, only models that have the measure (registered ones may be floats)
    values: Mapping[int, Decimal | float]


@dataclass(frozen=True)
class ModelRanks:
    model: AIModel
    ranks: list[Rank]


class _CatalogRow(NamedTuple):
    id: int
    open_weights: bool | None
    supported_parameters: Any
    context_window: int | None
    input_price: Decimal | None
    output_price: Decimal | None
    # key -> value of each ranked measure other apps register (e.g. the rating scores)
    registered: dict[str, Any]


def _catalog_rows(registered: list[registry.ModelMeasure]) -> list[_CatalogRow]:
    """One row per model of the whole catalog, with the registered measures (1 query)."""
    rows = AIModel.objects.values_list(
        "id", "open_weights", "supported_parameters", "context_window",
        "current_price__input_per_mtok", "current_price__output_per_mtok",
        *(measure.lookup for measure in registered),
    )  # fmt: skip
    keys = [measure.key for measure in registered]
    result = []
    for model_id, open_weights, parameters, context, input_price, output_price, *values in rows:
        own = (model_id, open_weights, parameters, context, input_price, output_price)
        result.append(_CatalogRow(*own, registered=dict(zip(keys, values, strict=True))))
    return result


def _catalog_categories(rows: list[_CatalogRow]) -> dict[str, set[int]]:
    """Model ids per category (2 queries). Free: a current free offering or standard price at 0."""
    through = AIModel.input_modalities.through
    image = through.objects.filter(modality__slug="image").values_list("aimodel_id", flat=True)
    free = price_current_list().filter(offering=FREE_OFFERING)
    free_prices = free.values_list("model_id", "input_per_mtok", "output_per_mtok")
    categories: dict[str, set[int]] = {name: set() for name in CATEGORIES}
    categories["multimodal"] = set(image)
    categories["free"] = {model_id for model_id, i, o in free_prices if i == 0 and o == 0}
    for row in rows:
        categories["all"].add(row.id)
        if row.open_weights:
            categories["open_weights"].add(row.id)
        if isinstance(row.supported_parameters, list) and "reasoning" in row.supported_parameters:
            categories["reasoning"].add(row.id)
        if row.input_price == 0 and row.output_price == 0:  # None never equals 0
            categories["free"].add(row.id)
    return categories


def _catalog_measures(
    rows: list[_CatalogRow], registered: list[registry.ModelMeasure]
) -> list[Measure]:
    """Every measure over the whole catalog: prices, context window, registered measures
    (the rating scores), current metrics (2 queries)."""
    inputs = {row.id: row.input_price for row in rows if row.input_price is not None}
    outputs = {row.id: row.output_price for row in rows if row.output_price is not None}
    blended = {i: (3 * inputs[i] + outputs[i]) / 4 for i in inputs.keys() & outputs.keys()}
    context = {
        row.id: Decimal(row.context_window) for row in rows if row.context_window is not None
    }
    lower, higher = Direction.LOWER_IS_BETTER.value, Direction.HIGHER_IS_BETTER.value
    measures = [
        Measure("input_price", "Input price per 1M tokens", lower, inputs),
        Measure("output_price", "Output price per 1M tokens", lower, outputs),
        Measure("blended_price", "Blended price per 1M tokens (3:1 input:output)", lower, blended),
        Measure("context_window", "Context window", higher, context),
    ]
    # A registered measure is null for a model without it (a rating score without counted
    # reviews): such a model is neither ranked nor counted, like a model without a metric.
    for m in registered:
        values = {r.id: r.registered[m.key] for r in rows if r.registered[m.key] is not None}
        measures.append(Measure(m.key, m.name, m.direction.value, values))
    by_metric: dict[int, dict[int, Decimal]] = {}
    current = metric_value_current_list().values_list("metric_id", "model_id", "value")
    for metric_id, model_id, value in current:
        by_metric.setdefault(metric_id, {})[model_id] = value
    for metric in Metric.objects.filter(id__in=by_metric).order_by("key"):
        measures.append(Measure(metric.key, metric.name, metric.direction, by_metric[metric.id]))
    return measures


def _competition_rank(
    target: Decimal | float, values: Iterable[Decimal | float], direction: str
) -> tuple[int, int]:
    """(rank, total) with standard competition ranking: ties share a rank, the next skips."""
    higher_is_better = direction == Direction.HIGHER_IS_BETTER
    better = total = 0
    for value in values:
        total += 1
        if (value > target) if higher_is_better else (value < target):
            better += 1
    return better + 1, total


def model_ranks_get(*, slug: str) -> ModelRanks:
    """The model's rank on every measure it has, within every category it belongs to.

    A model without a measure is neither ranked on it nor counted in its totals. Runs a fixed
    number of queries whatever the catalog size. Raises `ModelNotFound`.
    """
    model = model_get_by_slug(slug, queryset=AIModel.objects.all())
    registered = registry.measure_list(ranked=True)
    rows = _catalog_rows(registered)
    categories = _catalog_categories(rows)
    measures = _catalog_measures(rows, registered)
    ranks = []
    for category in CATEGORIES:
        members = categories[category]
        if model.id not in members:
            continue
        for measure in measures:
            if model.id not in measure.values:
                continue
            values = (measure.values[i] for i in members if i in measure.values)
            rank, total = _competition_rank(measure.values[model.id], values, measure.direction)
            ranks.append(Rank(category, measure.key, measure.name, rank, total, measure.direction))
    return ModelRanks(model=model, ranks=ranks)
