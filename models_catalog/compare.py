"""The side-by-side comparison of 2-5 models: aligned rows, the better value marked per row.

A read (a selector of its own module, as `selectors.py` is already long). Rows come from the
catalog (specs, current prices, the cost of the same request, current metrics) and from the
apps that register rows (`registry.compare_rows`: the rating and its sub-ratings). A fixed
number of queries whatever the number of models compared.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from django.db.models import Prefetch

from models_catalog import registry
from models_catalog.exceptions import ModelNotFound
from models_catalog.models import AIModel, Direction, MetricValue, ModelAlias, Price
from models_catalog.selectors import (
    _EXACT,
    TOKENS_PER_PRICE_UNIT,
    metric_value_current_list,
    model_list,
)

HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER


@dataclass(frozen=True)
class CompareCell:
    value: Any  # None: the model has no value
    better: bool  # the best value of a row with a direction, when the values differ
    origin: tuple[str, dt.date] | None  # source and as-of; None for computed values


@dataclass(frozen=True)
class CompareLine:
    group: str
    key: str
    name: str
    unit: str
    direction: str | None
    cells: list[CompareCell]


@dataclass(frozen=True)
class Comparison:
    models: list[AIModel]
    tokens: dict[str, int]  # the request whose cost is compared
    rows: list[CompareLine]


def _resolve(slugs: list[str]) -> list[AIModel]:
    """The models the slugs (exact or alias) name, in the given order (2-3 queries, plus the
    prefetches). Raises `ModelNotFound` naming the first unknown slug (field `models`)."""
    current = metric_value_current_list().select_related("metric").order_by("metric__key")
    models = model_list().prefetch_related(
        Prefetch("metric_values", queryset=current, to_attr="current_metric_values")
    )
    found = {m.slug: m for m in models.filter(slug__in=slugs)}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        aliases = dict(ModelAlias.objects.filter(slug__in=missing).values_list("slug", "model_id"))
        by_id = {m.pk: m for m in models.filter(pk__in=aliases.values())}
        found.update((alias, by_id[pk]) for alias, pk in aliases.items() if pk in by_id)
    for slug in slugs:
        if slug not in found:
            raise ModelNotFound(f"No model or alias is named {slug!r}.", field="models")
    return [found[slug] for slug in slugs]


def _origin(model: AIModel, name: str) -> tuple[str, dt.date] | None:
    entry = model.provenance.get(name)
    if isinstance(entry, dict) and {"source", "as_of"} <= entry.keys():
        return entry["source"], dt.date.fromisoformat(entry["as_of"])
    return None


def _price_origin(model: AIModel) -> tuple[str, dt.date] | None:
    price = model.current_price
    return None if price is None else (price.source, price.as_of)


def _cost(price: Price | None, tokens: dict[str, int]) -> Decimal | None:
    """Exact cost of the request at the standard price (cached input at the input price
    when there is no cached price), as `model_cost_estimate` bills it."""
    if price is None:
        return None
    cached = price.cached_input_per_mtok
    with localcontext(_EXACT):
        billed = (
            tokens["input_tokens"] * price.input_per_mtok
            + tokens["cached_input_tokens"]
            * (cached if cached is not None else price.input_per_mtok)
            + tokens["output_tokens"] * price.output_per_mtok
        )
        return billed / TOKENS_PER_PRICE_UNIT


def _blended(price: Price | None) -> Decimal | None:
    return None if price is None else (3 * price.input_per_mtok + price.output_per_mtok) / 4


def _spec_rows(models: list[AIModel]) -> list[registry.CompareRow]:
    def row(
        key: str, name: str, direction: Direction | None, unit: str = ""
    ) -> registry.CompareRow:
        return registry.CompareRow(
            "specs", key, name, direction, [getattr(m, key) for m in models], unit
        )

    def modalities(m: AIModel) -> str:
        return ", ".join(sorted(x.slug for x in m.input_modalities.all()))

    return [
        row("context_window", "Context window", HIGHER, "tokens"),
        row("max_output_tokens", "Most output tokens", HIGHER, "tokens"),
        row("parameter_count", "Parameters", None),
        row("open_weights", "Open weights", None),
        row("release_date", "Release date", None),
        row("knowledge_cutoff", "Knowledge cutoff", HIGHER),
        registry.CompareRow(
            "specs", "input_modalities", "Inputs", None, [modalities(m) for m in models]
        ),
        row("lifecycle", "Lifecycle", None),
    ]


def _price_rows(models: list[AIModel], tokens: dict[str, int]) -> list[registry.CompareRow]:
    usd = "USD per 1M tokens"
    prices = [m.current_price for m in models]

    def column(get: Callable[[Price], Any]) -> list[Any]:
        return [None if p is None else get(p) for p in prices]

    return [
        registry.CompareRow(
            "prices", "input_price", "Input price", LOWER, column(lambda p: p.input_per_mtok), usd,
        ),
        registry.CompareRow(
            "prices", "cached_input_price", "Cached input price", LOWER,
            column(lambda p: p.cached_input_per_mtok), usd,
        ),
        registry.CompareRow(
            "prices", "output_price", "Output price", LOWER, column(lambda p: p.output_per_mtok),
            usd,
        ),
        registry.CompareRow(
            "prices", "blended_price", "Blended price (3:1 input:output)", LOWER,
            [_blended(p) for p in prices], usd,
        ),
        registry.CompareRow(
            "prices", "cost", "Cost of the request at the standard price", LOWER,
            [_cost(p, tokens) for p in prices], "USD",
        ),
    ]  # fmt: skip


def _metric_rows(models: list[AIModel]) -> tuple[list[registry.CompareRow], dict[str, list[Any]]]:
    """One row per metric any compared model has, by key; and each row's origins."""
    # The prefetch `_resolve` sets; not declared on the model (the stubs type it per query).
    values_of = [getattr(m, "current_metric_values") for m in models]  # noqa: B009
    current: list[dict[str, MetricValue]] = [{v.metric.key: v for v in vs} for vs in values_of]
    keys = sorted({key for values in current for key in values})
    rows, origins = [], {}
    for key in keys:
        cells = [values.get(key) for values in current]
        metric = next(v.metric for v in cells if v is not None)
        rows.append(
            registry.CompareRow(
                "metrics",
                key,
                metric.name,
                Direction(metric.direction),
                [None if v is None else v.value for v in cells],
                metric.unit,
            )
        )
        origins[key] = [None if v is None else (v.source, v.as_of) for v in cells]
    return rows, origins


def _better(direction: Direction | None, values: list[Any]) -> list[bool]:
    """True for the best value(s) of a row with a direction, when at least two values differ."""
    present = [v for v in values if v is not None]
    if direction is None or len(set(present)) < 2:
        return [False] * len(values)
    best = max(present) if direction == HIGHER else min(present)
    return [v is not None and v == best for v in values]


def model_compare_get(
    *, slugs: list[str], input_tokens: int = 0, cached_input_tokens: int = 0, output_tokens: int = 0
) -> Comparison:
    """2-5 models side by side (the caller bounds the count): specs, current standard prices,
    the cost of the same request for each, current metrics, then registered rows (ratings).
    Each row marks the better value by the measure's direction; each cell carries the source
    and date of its value where the catalog records one. Raises `ModelNotFound`."""
    models = _resolve(slugs)
    tokens = {
        "input_tokens": input_tokens,
        "cached_input_tokens": cached_input_tokens,
        "output_tokens": output_tokens,
    }
    metric_rows, metric_origins = _metric_rows(models)
    price_origins = [_price_origin(m) for m in models]
    lines = []
    for row in [
        *_spec_rows(models),
        *_price_rows(models, tokens),
        *metric_rows,
        *registry.compare_rows(models),
    ]:
        if row.group == "specs":
            origins = [_origin(m, row.key) for m in models]
        elif row.group == "prices":
            origins = price_origins
        else:
            origins = metric_origins.get(row.key, [None] * len(models))
        better = _better(row.direction, row.values)
        cells = [CompareCell(v, b, o) for v, b, o in zip(row.values, better, origins, strict=True)]
        direction = None if row.direction is None else row.direction.value
        lines.append(CompareLine(row.group, row.key, row.name, row.unit, direction, cells))
    return Comparison(models=models, tokens=tokens, rows=lines)
