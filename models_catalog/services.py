"""Writes to the catalog. Importers, the admin and tests all go through these.

Two rules hold for every imported value:
- provenance: each attribute records the source and as-of date that set it, and a source
  only overwrites a value set by a source of equal or higher precedence for that field
  (an editor's value is never overwritten by an import);
- history: prices and metric values are observations dated `as_of`; a changed value is a
  new row, an unchanged one writes nothing (the row in force already says it).
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import DecimalField, Model
from django.utils.text import slugify

from config.documents import (
    CATALOG,
    RATINGS,
    REVIEWERS,
    generations_bump,
    list_shard_generation,
    model_generation,
    model_ranks_generation,
    model_reviews_generation,
)
from events.services import outbox_record
from models_catalog.models import (
    AIModel,
    Direction,
    Metric,
    MetricValue,
    Modality,
    ModelAlias,
    ModelFamily,
    Price,
    Provider,
    Route,
    Source,
)

# Which source wins for a field, best first. A source not listed for a field ranks after
# those listed. EDITOR is always first: curated values survive every re-import.
_DEFAULT_PRECEDENCE: list[str] = [
    Source.EDITOR,
    Source.OPENROUTER,
    Source.MODELS_DEV,
    Source.LITELLM,
]
FIELD_PRECEDENCE: dict[str, list[str]] = {
    # models.dev curates release dates and weights; OpenRouter's `created` is only the date
    # a model was listed there, a fallback.
    "release_date": [Source.EDITOR, Source.MODELS_DEV, Source.OPENROUTER],
    "open_weights": [Source.EDITOR, Source.MODELS_DEV, Source.OPENROUTER],
    # OpenRouter gives a day, models.dev only a month: the more precise one wins.
    "knowledge_cutoff": [Source.EDITOR, Source.OPENROUTER, Source.MODELS_DEV],
    "lifecycle": [Source.EDITOR, Source.LITELLM, Source.OPENROUTER],
    "deprecation_date": [Source.EDITOR, Source.LITELLM, Source.OPENROUTER],
    "successor": [Source.EDITOR, Source.LITELLM],
}
# The source whose standard price is shown first when several sources price a model.
PRICE_SOURCE_PREFERENCE = [Source.EDITOR, Source.OPENROUTER, Source.LITELLM]
ATTRIBUTE_FIELDS = {
    "name", "description", "version_slug", "context_window", "max_output_tokens", "open_weights",
    "parameter_count", "knowledge_cutoff", "release_date", "tokenizer", "supported_parameters",
    "lifecycle", "deprecation_date", "successor", "family",
}  # fmt: skip
# Many-to-many attributes: set by `model_import` under the same precedence rules.
RELATION_FIELDS = {"input_modalities", "output_modalities"}


# Outbox events (events app) of the catalog; the webhooks app sends them to subscribers.
MODEL_ADDED = "model.added"
PRICE_CHANGED = "price.changed"


def _rank(field_name: str, source: str) -> int:
    order = FIELD_PRECEDENCE.get(field_name, _DEFAULT_PRECEDENCE)
    return order.index(source) if source in order else len(order)


def _may_replace(field_name: str, current: dict[str, str], *, source: str, as_of: dt.date) -> bool:
    """Whether `source` on `as_of` may replace a value whose provenance is `current`.

    A better-ranked source always may, a worse one never. An equally ranked one (in practice
    the same source) may unless its value is older: importing last spring's snapshot after
    this summer's must not roll attributes back.
    """
    if not current.get("source"):
        return True
    mine, theirs = _rank(field_name, source), _rank(field_name, current["source"])
    if mine != theirs:
        return mine < theirs
    return as_of.isoformat() >= current.get("as_of", "")


@dataclass
class Change:
    """What one service call changed; importers add these up into their report."""

    created: bool = False
    changed_fields: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.changed_fields)


def provider_get_or_create(*, slug: str, name: str) -> tuple[Provider, bool]:
    """The provider with `slug`, created with `name` if new (an existing name is kept)."""
    return Provider.objects.get_or_create(slug=slug, defaults={"name": name})


def family_get_or_create(*, provider: Provider, name: str) -> ModelFamily:
    family, _ = ModelFamily.objects.get_or_create(
        provider=provider, slug=slugify(name) or "other", defaults={"name": name}
    )
    return family


def modalities_get(slugs: list[str]) -> list[Modality]:
    """Modality rows for `slugs`, creating unknown ones (sources add kinds over time)."""
    existing = {m.slug: m for m in Modality.objects.filter(slug__in=slugs)}
    for slug in slugs:
        if slug not in existing:
            existing[slug], _ = Modality.objects.get_or_create(slug=slug)
    return [existing[slug] for slug in slugs]


def model_apply_attributes(
    model: AIModel, values: dict[str, Any], *, source: str, as_of: dt.date
) -> list[str]:
    """Set attributes from `source` where its precedence allows; return the changed names.

    A value is taken when the field is empty, or was set by a source that does not outrank
    this one. An equal value from a better source takes over the provenance. `None` never
    erases a value. Does not save: `model_import` saves once.
    """
    changed = []
    for name, value in values.items():
        if name not in ATTRIBUTE_FIELDS:
            raise ValueError(f"{name!r} is not an importable attribute")
        if value is None:
            continue
        current_value = getattr(model, name)
        current = model.provenance.get(name, {})
        current_source = current.get("source")
        # An empty field takes any source's value, unless an editor emptied it on purpose.
        empty = current_value in (None, "", []) and current_source != Source.EDITOR
        if not empty and not _may_replace(name, current, source=source, as_of=as_of):
            continue
        better_source = current_source is None or _rank(name, source) < _rank(name, current_source)
        if current_value != value or better_source:
            setattr(model, name, value)
            model.provenance[name] = {"source": str(source), "as_of": as_of.isoformat()}
            changed.append(name)
    return changed


def _mark_seen(model: AIModel, source: str, as_of: dt.date) -> bool:
    """Remember the newest snapshot of `source` that listed the model (for 'missing' reports)."""
    seen = model.provenance.setdefault("seen_by", {})
    if seen.get(source, "") >= as_of.isoformat():
        return False
    seen[source] = as_of.isoformat()
    return True


@transaction.atomic
def model_import(
    *,
    slug: str,
    provider: Provider,
    attributes: dict[str, Any],
    source: str,
    as_of: dt.date,
    input_modalities: list[str] | None = None,
    output_modalities: list[str] | None = None,
    create: bool = True,
) -> tuple[AIModel | None, Change]:
    """Create or update the model `slug` from one source record.

    With `create=False` an unknown slug is left alone (returns `(None, Change())`): sources
    that only enrich (LiteLLM, models.dev, LMArena) never add models.
    """
    model = AIModel.objects.filter(slug=slug).first()
    change = Change()
    if model is None:
        if not create:
            return None, change
        model = AIModel(slug=slug, provider=provider, name=attributes.get("name") or slug)
        change.created = True
    change.changed_fields = model_apply_attributes(model, attributes, source=source, as_of=as_of)
    seen_changed = _mark_seen(model, source, as_of)
    if change.changed or seen_changed:
        model.save()
    if change.created:
        # For integrators (webhooks): recorded with the row, in the importer's transaction.
        outbox_record(MODEL_ADDED, {"model_id": model.pk})
    for attr, slugs in (
        ("input_modalities", input_modalities),
        ("output_modalities", output_modalities),
    ):
        if slugs is None:
            continue
        relation_changed = _apply_modalities(model, attr, slugs, source=source, as_of=as_of)
        if relation_changed and not change.created:
            change.changed_fields.append(attr)
    if change.changed:
        catalog_documents_invalidate()
    return model, change


def _apply_modalities(
    model: AIModel, attr: str, slugs: list[str], *, source: str, as_of: dt.date
) -> bool:
    """Set a modality relation under the same precedence rules as attributes; True if changed."""
    manager = getattr(model, attr)
    current = set(manager.values_list("slug", flat=True))
    if current == set(slugs):
        return False
    provenance = model.provenance.get(attr, {})
    empty = not current and provenance.get("source") != Source.EDITOR
    if not empty and not _may_replace(attr, provenance, source=source, as_of=as_of):
        return False
    manager.set(modalities_get(slugs))
    model.provenance[attr] = {"source": str(source), "as_of": as_of.isoformat()}
    model.save(update_fields=["provenance", "updated_at"])
    return True


def model_update_by_editor(model: AIModel, changed_fields: list[str]) -> None:
    """Mark fields an editor changed in the admin so that no import overwrites them."""
    today = dt.date.today().isoformat()
    for name in changed_fields:
        if name in ATTRIBUTE_FIELDS or name in RELATION_FIELDS:
            model.provenance[name] = {"source": Source.EDITOR.value, "as_of": today}
    model.save()
    catalog_documents_invalidate()


def alias_record(*, slug: str, model: AIModel, source: str, as_of: dt.date) -> Change:
    """Point the alias `slug` at `model` (aliases move: `~openai/gpt-latest`).

    A snapshot older than the one that last moved the alias does not move it back.
    """
    alias, created = ModelAlias.objects.get_or_create(
        slug=slug, defaults={"model": model, "source": source, "as_of": as_of}
    )
    if created:
        catalog_documents_invalidate()
        return Change(created=True)
    if alias.model_id != model.id and as_of >= alias.as_of:
        alias.model, alias.source, alias.as_of = model, source, as_of
        alias.save()
        catalog_documents_invalidate()
        return Change(changed_fields=["model"])
    return Change()


def _fit_columns(model_class: type[Model], **values: Decimal | None) -> dict[str, Decimal | None]:
    """Round decimals to their columns' scale; `ValueError` if one has too many digits.

    Without this a value such as 1391.3831883 would be stored as 1391.3832 and never compare
    equal again, so every re-import would try to write a duplicate row.
    """
    fitted: dict[str, Decimal | None] = {}
    for name, value in values.items():
        column = cast(DecimalField, model_class._meta.get_field(name))  # callers name decimals
        if value is None:
            fitted[name] = None
            continue
        rounded = Decimal(value).quantize(Decimal(1).scaleb(-column.decimal_places))
        if len(rounded.as_tuple().digits) > column.max_digits:
            raise ValueError(f"{name} {value} has more than {column.max_digits} digits")
        fitted[name] = rounded
    return fitted


def _record_observation(
    series: Any, *, as_of: dt.date, values: dict[str, Any], create: dict[str, Any]
) -> bool:
    """Record values observed on `as_of` in a dated series; True when a row was written.

    The row in force on `as_of` (newest `as_of` not after it) with equal values absorbs the
    observation; otherwise a new row starts. Re-running the same snapshot writes nothing.
    """
    in_force = series.filter(as_of__lte=as_of).order_by("-as_of").first()
    if in_force is not None and all(getattr(in_force, k) == v for k, v in values.items()):
        return False
    later = series.filter(as_of__gt=as_of).order_by("as_of").first()
    if later is not None and all(getattr(later, k) == v for k, v in values.items()):
        # An older snapshot imported after a newer one: the same price was already in force.
        later.as_of = as_of
        later.save(update_fields=["as_of"])
        return True
    series.model.objects.create(as_of=as_of, **create, **values)
    return True


def price_record(
    *,
    model: AIModel,
    source: str,
    as_of: dt.date,
    input_per_mtok: Decimal,
    output_per_mtok: Decimal,
    cached_input_per_mtok: Decimal | None = None,
    offering: str = Price.STANDARD,
) -> bool:
    """Record a price observation (USD per 1M tokens); True when history changed.

    Values are rounded to the column's scale first, so that a re-import compares equal to
    what the database stored. Raises `ValueError` for a value the column cannot hold.
    """
    values = _fit_columns(
        Price,
        input_per_mtok=input_per_mtok,
        output_per_mtok=output_per_mtok,
        cached_input_per_mtok=cached_input_per_mtok,
    )
    series = Price.objects.filter(model=model, offering=offering, source=source)
    written = _record_observation(
        series, as_of=as_of, values=values,
        create={"model": model, "offering": offering, "source": source},
    )  # fmt: skip
    if written:
        price_refresh_current(model)
        catalog_documents_invalidate()
    return written


def price_refresh_current(model: AIModel) -> None:
    """Point `model.current_price` at the newest standard price of the preferred source."""
    for source in PRICE_SOURCE_PREFERENCE:
        newest = (
            Price.objects.filter(model=model, offering=Price.STANDARD, source=source)
            .order_by("-as_of")
            .first()
        )
        if newest is not None:
            break
    if model.current_price_id != (newest.id if newest else None):
        model.current_price = newest
        model.save(update_fields=["current_price", "updated_at"])
        if newest is not None:
            outbox_record(PRICE_CHANGED, {"model_id": model.pk, "price_id": newest.pk})


def route_record(
    *,
    model: AIModel,
    key: str,
    name: str,
    kind: str,
    route_model_id: str,
    input_per_mtok: Decimal,
    output_per_mtok: Decimal,
    cached_input_per_mtok: Decimal | None,
    source: str,
    as_of: dt.date,
    region: str = "",
    base_url: str = "",
) -> bool:
    """Record where `model` is served and at what price; True when the route changed.

    One row per (model, route key): a snapshot older than the one that last wrote the row
    changes nothing (importing last spring's file after this summer's must not roll the
    price back). Prices are rounded to the columns as in `price_record`."""
    prices = _fit_columns(
        Route,
        input_per_mtok=input_per_mtok,
        output_per_mtok=output_per_mtok,
        cached_input_per_mtok=cached_input_per_mtok,
    )
    values: dict[str, Any] = {
        "name": name, "kind": kind, "region": region, "route_model_id": route_model_id,
        "base_url": base_url, "source": str(source), "as_of": as_of, **prices,
    }  # fmt: skip
    route = Route.objects.filter(model=model, key=key).first()
    if route is None:
        Route.objects.create(model=model, key=key, **values)
    elif as_of < route.as_of or all(getattr(route, k) == v for k, v in values.items()):
        return False
    else:
        Route.objects.filter(pk=route.pk).update(**values)
    catalog_documents_invalidate()
    return True


def metric_get_or_create(
    *, key: str, name: str, unit: str, direction: Direction, description: str = ""
) -> Metric:
    metric, _ = Metric.objects.get_or_create(
        key=key,
        defaults={"name": name, "unit": unit, "direction": direction, "description": description},
    )
    return metric


def metric_record(
    *,
    model: AIModel,
    metric: Metric,
    value: Decimal,
    source: str,
    as_of: dt.date,
    via: str = "",
    ci_low: Decimal | None = None,
    ci_high: Decimal | None = None,
) -> bool:
    """Record a metric observation; True when history changed (rounded as `price_record`)."""
    series = MetricValue.objects.filter(model=model, metric=metric, source=source)
    written = _record_observation(
        series,
        as_of=as_of,
        values=_fit_columns(MetricValue, value=value, ci_low=ci_low, ci_high=ci_high),
        create={"model": model, "metric": metric, "source": source, "via": via},
    )
    if written:
        catalog_documents_invalidate()
    return written


def models_missing_from_snapshot(
    *, source: str, seen_slugs: set[str], as_of: dt.date | None = None
) -> list[str]:
    """Slugs that earlier snapshots of `source` listed but this one lacks.

    With `as_of`, only snapshots older than it count: a model that a *newer* snapshot
    listed is not missing from an older one imported late. Reported, never deleted: a model
    that vanished from a listing keeps its page and data.
    """
    before = as_of.isoformat() if as_of else "9999-12-31"
    rows = AIModel.objects.values_list("slug", "provenance")
    return sorted(
        slug
        for slug, prov in rows
        if slug not in seen_slugs and "" < prov.get("seen_by", {}).get(source, "") < before
    )


# --- Pre-rendered documents (config.documents) -------------------------------------------


def catalog_documents_invalidate() -> None:
    """Every document that shows catalog data (pages, lists, ranks, costs, and the reviews
    pages, which name the model) stops being served: now and after commit. Called by every
    catalog write above and by the admin; cheap (one cache write each time)."""
    generations_bump([CATALOG])


def model_documents_invalidate(
    model_ids: Iterable[int],
    *,
    ratings: bool = False,
    reviewers: bool = False,
    reviews_only: bool = False,
    ranks_of: Iterable[int] = (),
    slugs: Mapping[int, str] | None = None,
) -> None:
    """What apps above the catalog call when something a model's documents show changed:
    its page and its reviews pages (with `reviews_only`, the reviews pages alone: a vote or
    a publication shows nowhere else); with `ratings` (its stored rating changed), the list
    pages that show it (its list shard), charts, comparisons and lists ordered by a rating;
    `ranks_of`: the models whose ranks moved; with `reviewers`, the reviews pages of every
    model (a reviewer's published count or byline). One query for the slugs, none when the
    caller read them (`slugs`, by id, for every model named); never raises for the cache."""
    ids, ranked = list(model_ids), set(ranks_of)
    every = set(ids) | ranked
    if slugs is None or not every <= slugs.keys():
        rows = AIModel.objects.filter(pk__in=every).values_list("pk", "slug") if every else []
        slugs = dict(rows)
    generation = model_reviews_generation if reviews_only else model_generation
    names = [generation(slugs[pk]) for pk in ids if pk in slugs]
    names += [model_ranks_generation(slugs[pk]) for pk in ranked if pk in slugs]
    if ratings:
        names += [list_shard_generation(slugs[pk]) for pk in ids if pk in slugs]
        names.append(RATINGS)
    if reviewers:
        names.append(REVIEWERS)
    generations_bump(names)
