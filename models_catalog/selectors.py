"""Reads of the catalog: providers, the model list and page, the cost calculator and ranks.

Side-effect free. Every function runs a bounded number of queries, independent of how many
rows it returns (lists prefetch; ranks load the whole catalog's current values in a few
queries and rank in Python). Slugs are resolved in one place, `model_resolve`.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, localcontext
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KT
from django.db.models.functions import RowNumber

from models_catalog import registry, tiers
from models_catalog.exceptions import (
    ModelNotFound,
    PriceUnavailable,
    ProviderNotFound,
    RouteUnavailable,
    UnknownMeasure,
)
from models_catalog.facts import overview_build
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
    Route,
)
from models_catalog.routes import kind_order
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


def metric_value_current(key: str) -> Subquery:
    """The newest value of metric `key` of the model in the outer query (the row
    `metric_value_current_list` keeps), for filtering and ordering the model list."""
    newest = MetricValue.objects.filter(model=OuterRef("pk"), metric__key=key)
    return Subquery(newest.order_by("-as_of", "-id").values("value")[:1])


def metric_keys_unknown(keys: Iterable[str]) -> list[str]:
    """Those of `keys` that name no metric, in the given order (1 query)."""
    wanted = list(dict.fromkeys(keys))
    known = set(Metric.objects.filter(key__in=wanted).values_list("key", flat=True))
    return [key for key in wanted if key not in known]


def model_list_with_metrics(models: QuerySet[AIModel], keys: list[str]) -> QuerySet[AIModel]:
    """`models` with `listed_metric_values`: the current value of each metric in `keys` each
    model has, by key (1 query for any page size)."""
    current = metric_value_current_list().filter(metric__key__in=keys).select_related("metric")
    listed = Prefetch("metric_values", queryset=current.order_by("metric__key"),
                      to_attr="listed_metric_values")  # fmt: skip
    return models.prefetch_related(listed)


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
    non-standard prices, by offering), `family.members` (the family's models, newest first),
    `route_list` (where it is served: first party, clouds, aggregators, cheapest first),
    `price_tiers` (its class first) and `overview` (tagline, verdict, FAQ: the editors' or
    generated from facts). Rows of the blocks other apps register are joined.
    Raises `ModelNotFound`.
    """
    model = _model_detail_load(slug)
    model.route_list = sorted(
        model.routes.all(), key=lambda r: (kind_order(r.kind), r.input_per_mtok, r.key)
    )
    model.price_tiers = model_price_tiers(model)
    model.overview = overview_build(model, price_tiers=model.price_tiers, routes=model.route_list)
    return model


def model_detail_registered_get(slug: str) -> AIModel:
    """The model with only the rows the page's registered briefs, blocks and versions read
    joined (one query for a slug, two for an alias): what a change of the model's own
    generation (a rating, a review) re-renders of its page. Raises `ModelNotFound`."""
    related = [brief.related for brief in registry.brief_list()]
    related += [block.related for block in registry.detail_block_list()]
    # The model's own long and JSON columns are the catalog part's (decoding them cost
    # more than the query); the renderers read the slugs and the joined rows.
    heavy = ["description", "supported_parameters", "provenance", "editor_verdict", "tagline"]
    queryset = AIModel.objects.select_related(*related).defer(*heavy)
    return model_get_by_slug(slug, queryset=queryset)


def _model_detail_load(slug: str) -> AIModel:
    members = AIModel.objects.only("id", "slug", "name", "family_id").order_by(
        F("release_date").desc(nulls_last=True), "slug"
    )
    blocks = [block.related for block in registry.detail_block_list()]
    queryset = (
        model_list()
        .select_related("successor", *blocks)
        .prefetch_related(
            "routes",
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


# --- Price history ---------------------------------------------------------------------


@dataclass(frozen=True)
class PriceSeries:
    """The dated prices of one offering as one source stated them, oldest first."""

    offering: str
    source: str
    prices: list[Price]


@dataclass(frozen=True)
class PriceHistory:
    model: AIModel
    series: list[PriceSeries]


def model_price_history_get(
    *,
    slug: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    offering: str | None = None,
) -> PriceHistory:
    """Every stored price row of the model, grouped per (offering, source), oldest first.

    A row's `as_of` is the date a source stated that price; it stays in force until the next
    row of its series. `since`/`until` bound `as_of` (inclusive). Two queries (the model, its
    rows), whatever the history's length. Raises `ModelNotFound`.
    """
    model = model_get_by_slug(slug, queryset=AIModel.objects.all())
    rows = Price.objects.filter(model=model)
    if since is not None:
        rows = rows.filter(as_of__gte=since)
    if until is not None:
        rows = rows.filter(as_of__lte=until)
    if offering is not None:
        rows = rows.filter(offering=offering)
    series: dict[tuple[str, str], list[Price]] = {}
    for price in rows.order_by("offering", "source", "as_of", "id"):
        series.setdefault((price.offering, price.source), []).append(price)
    # The standard offering first, then the others by name.
    keys = sorted(series, key=lambda k: (k[0] != Price.STANDARD, k))
    return PriceHistory(model, [PriceSeries(o, s, series[(o, s)]) for o, s in keys])


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
    route: Route | None = None  # the route priced, when one was asked for


def _route_price(model: AIModel, key: str) -> tuple[Route, Price]:
    """The route `key` of the model and its price as an (unsaved) standard Price."""
    routes = {route.key: route for route in Route.objects.filter(model=model)}
    route = routes.get(key)
    if route is None:
        known = ", ".join(sorted(routes)) or "none"
        raise RouteUnavailable(
            f"{model.slug} is not served through {key!r} in the catalog; routes: {known}.",
            field="route",
        )
    price = Price(
        model=model, offering=Price.STANDARD, input_per_mtok=route.input_per_mtok,
        output_per_mtok=route.output_per_mtok, cached_input_per_mtok=route.cached_input_per_mtok,
        source=route.source, as_of=route.as_of,
    )  # fmt: skip
    return route, price


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
    route: str | None = None,
) -> CostEstimate:
    """Exact cost of a request: tokens x price per 1M tokens / 1M, per part and in total.

    With `route`, at that route's price (`availability` on the model page). Else the
    offering is `offering`, else the variant the slug names (`:free`), else standard.
    Cached input tokens are billed at the input price when the offering has no cached price.
    Raises `ModelNotFound`, `PriceUnavailable`, `RouteUnavailable`.
    """
    resolved = model_resolve(slug, queryset=AIModel.objects.select_related("current_price"))
    model = resolved.model
    chosen: Route | None = None
    if route is not None:
        chosen, price = _route_price(model, route)
    else:
        offering = offering or resolved.variant or Price.STANDARD
        found = price_current_get(model, offering=offering)
        if found is None:
            raise _price_unavailable(model, offering)
        price = found
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
    return CostEstimate(model=model, price=price, parts=parts, total=total, route=chosen)


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
    tier: str | None = None  # for the blended price: the price tier it gives (models_catalog.tiers)

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
    # model id -> (source key, as-of date) of the value; absent for values this site computes
    # (the rating) or whose origin is not recorded
    origins: Mapping[int, tuple[str, dt.date]] = field(default_factory=dict)
    unit: str = ""


@dataclass(frozen=True)
class ModelRanks:
    model: AIModel
    ranks: list[Rank]


class _CatalogRow(NamedTuple):
    id: int
    slug: str
    name: str
    open_weights: bool | None
    reasoning: bool  # "reasoning" is one of its supported parameters
    context_window: int | None
    input_price: Decimal | None
    output_price: Decimal | None
    price_origin: tuple[str, dt.date] | None  # source and as-of of the current price
    context_origin: tuple[str, dt.date] | None  # source and as-of of the context window
    # key -> value of each ranked measure other apps register (e.g. the rating scores)
    registered: dict[str, Any]


def _origin(source: str | None, as_of: Any) -> tuple[str, dt.date] | None:
    if not source or as_of is None:
        return None
    return source, as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(as_of)


def _reasoning(value: Any) -> bool:
    """The containment test's answer (PostgreSQL), or the supported parameters (SQLite)."""
    if isinstance(value, list):
        return "reasoning" in value
    return bool(value)


def _catalog_rows(registered: list[registry.ModelMeasure]) -> list[_CatalogRow]:
    """One row per model of the whole catalog, with the registered measures (1 query).

    Every request that renders ranks, a chart or a model page's tiers reads it: the JSON
    columns are read as the few values it needs, computed by PostgreSQL (a containment test,
    text of two keys), not decoded whole in Python for each of the catalog's models."""
    # jsonb `@>`: true exactly for an array with the string "reasoning" among its elements.
    # SQLite (`make run`'s embedded database) has no JSON containment: there the column is
    # read and tested in Python (`_reasoning`).
    if connection.features.supports_json_field_contains:
        reasoning_test: Any = ExpressionWrapper(
            Q(supported_parameters__contains=["reasoning"]), output_field=BooleanField()
        )
    else:
        reasoning_test = F("supported_parameters")
    rows = AIModel.objects.annotate(
        reasoning_=reasoning_test,
        context_source_=KT("provenance__context_window__source"),
        context_as_of_=KT("provenance__context_window__as_of"),
    ).values_list(
        "id", "slug", "name", "open_weights", "reasoning_", "context_window",
        "current_price__input_per_mtok", "current_price__output_per_mtok",
        "current_price__source", "current_price__as_of",
        "context_source_", "context_as_of_",
        *(measure.lookup for measure in registered),
    )  # fmt: skip
    keys = [measure.key for measure in registered]
    result = []
    for row in rows:
        model_id, slug, name, open_weights, reasoning, context, input_price, output_price = row[:8]
        price_source, price_as_of, context_source, context_as_of = row[8:12]
        catalog_row = _CatalogRow(
            model_id, slug, name, open_weights, _reasoning(reasoning), context, input_price,
            output_price,
            price_origin=_origin(price_source, price_as_of),
            context_origin=_origin(context_source, context_as_of),
            registered=dict(zip(keys, row[12:], strict=True)),
        )  # fmt: skip
        result.append(catalog_row)
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
        if row.reasoning:
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
    prices = {row.id: row.price_origin for row in rows if row.price_origin is not None}
    contexts = {row.id: row.context_origin for row in rows if row.context_origin is not None}
    usd, tokens = "USD per 1M tokens", "tokens"
    measures = [
        Measure("input_price", "Input price per 1M tokens", lower, inputs, prices, usd),
        Measure("output_price", "Output price per 1M tokens", lower, outputs, prices, usd),
        Measure(
            "blended_price", "Blended price per 1M tokens (3:1 input:output)", lower, blended,
            prices, usd,
        ),
        Measure("context_window", "Context window", higher, context, contexts, tokens),
    ]  # fmt: skip
    # A registered measure is null for a model without it (a rating score without counted
    # reviews): such a model is neither ranked nor counted, like a model without a metric.
    for m in registered:
        values = {r.id: r.registered[m.key] for r in rows if r.registered[m.key] is not None}
        measures.append(Measure(m.key, m.name, m.direction.value, values))
    by_metric: dict[int, dict[int, Decimal]] = {}
    origins: dict[int, dict[int, tuple[str, dt.date]]] = {}
    current = metric_value_current_list().values_list(
        "metric_id", "model_id", "value", "source", "as_of"
    )
    for metric_id, model_id, value, source, as_of in current:
        by_metric.setdefault(metric_id, {})[model_id] = value
        origins.setdefault(metric_id, {})[model_id] = (source, as_of)
    for metric in Metric.objects.filter(id__in=by_metric).order_by("key"):
        values, origin = by_metric[metric.id], origins[metric.id]
        measures.append(
            Measure(metric.key, metric.name, metric.direction, values, origin, metric.unit)
        )
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


@dataclass(frozen=True)
class CatalogRanking:
    """What every model's ranks are computed from: the whole catalog's categories and
    measures. Read-only once built: one value may serve the ranks of many models."""

    categories: dict[str, set[int]]
    measures: list[Measure]


def catalog_ranking_get() -> CatalogRanking:
    """The catalog-wide part of `model_ranks_get` (5 queries, whatever the catalog size)."""
    registered = registry.measure_list(ranked=True)
    rows = _catalog_rows(registered)
    return CatalogRanking(_catalog_categories(rows), _catalog_measures(rows, registered))


def model_ranks_get(*, slug: str, ranking: CatalogRanking | None = None) -> ModelRanks:
    """The model's rank on every measure it has, within every category it belongs to, from
    `ranking` (read now when not given: a caller that renders many models' ranks from the
    same data passes one, see models_catalog/api/documents.py).

    A model without a measure is neither ranked on it nor counted in its totals. Runs a fixed
    number of queries whatever the catalog size. Raises `ModelNotFound`.
    """
    model = model_get_by_slug(slug, queryset=AIModel.objects.all())
    ranking = ranking if ranking is not None else catalog_ranking_get()
    categories, measures = ranking.categories, ranking.measures
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
            tier = tiers.tier_of(rank, total, category) if measure.key == tiers.MEASURE else None
            ranks.append(
                Rank(
                    category, measure.key, measure.name, rank, total, measure.direction,
                    tier.tier if tier else None,
                )
            )  # fmt: skip
    # Ranks other apps compute among all models (the rating per use case).
    for r in registry.registered_ranks(model):
        ranks.append(Rank("all", r.measure, r.measure_name, r.rank, r.total, r.direction.value))
    return ModelRanks(model=model, ranks=ranks)


def model_price_tiers(model: AIModel) -> list[tiers.PriceTier]:
    """The model's price tier in each category it is in that gives one, its class (the most
    specific, `tiers.CLASS_ORDER`) first; empty without a standard price. Three queries (the
    catalog's current prices, image inputs, free offerings), whatever the catalog size."""
    if model.current_price_id is None:
        return []
    rows = _catalog_rows([])
    categories = _catalog_categories(rows)
    blended = {
        row.id: (3 * row.input_price + row.output_price) / 4
        for row in rows
        if row.input_price is not None and row.output_price is not None
    }
    if model.id not in blended:
        return []
    found = []
    for category in tiers.CLASS_ORDER:
        members = categories[category]
        if model.id not in members:
            continue
        values = (blended[i] for i in members if i in blended)
        rank, total = _competition_rank(blended[model.id], values, Direction.LOWER_IS_BETTER)
        tier = tiers.tier_of(rank, total, category)
        if tier is not None:
            found.append(tier)
    return found


# --- Charts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    slug: str
    name: str
    value: Decimal | float
    rank: int  # as `model_ranks_get` ranks it: 1 is best, ties share a rank
    origin: tuple[str, dt.date] | None  # source and as-of; None for computed values


@dataclass(frozen=True)
class Chart:
    category: str
    measure: Measure
    points: list[ChartPoint]  # best first, slug breaking ties


def measure_chart_get(*, category: str, measure: str) -> Chart:
    """Every model of `category` that has `measure`, with its value, origin and rank: one
    small body for a comparison chart. Ranks equal those of `model_ranks_get` (the same
    catalog read and competition ranking). A fixed number of queries whatever the catalog
    size. Raises `UnknownMeasure` (field `measure`).
    """
    registered = registry.measure_list(ranked=True)
    rows = _catalog_rows(registered)
    members = _catalog_categories(rows)[category]
    measures = _catalog_measures(rows, registered)
    found = next((m for m in measures if m.key == measure), None)
    if found is None:
        keys = ", ".join(m.key for m in measures)
        raise UnknownMeasure(
            f"{measure!r} is not a measure any model has: use {keys}.", field="measure"
        )
    higher = found.direction == Direction.HIGHER_IS_BETTER
    by_id = {row.id: row for row in rows if row.id in members and row.id in found.values}
    ordered = sorted(by_id.values(), key=lambda row: row.slug)
    ordered.sort(key=lambda row: found.values[row.id], reverse=higher)  # stable: slug ties
    points: list[ChartPoint] = []
    for index, row in enumerate(ordered):
        value = found.values[row.id]
        tied = points and points[-1].value == value
        rank = points[-1].rank if tied else index + 1
        points.append(ChartPoint(row.slug, row.name, value, rank, found.origins.get(row.id)))
    return Chart(category=category, measure=found, points=points)
