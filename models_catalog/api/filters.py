"""Query parameters of the model list, validated: a bad value is a 400 naming the parameter.

django-filter turns an invalid form into that 400 (`DjangoFilterBackend` raises
`ValidationError`). Two stock behaviours are tightened here: a boolean that is not
true/false is an error rather than "no filter", and ordering puts nulls last with a slug
tiebreak so pages are stable.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django_filters.rest_framework import FilterSet
from rest_framework.exceptions import ValidationError

from models_catalog import registry, selectors
from models_catalog.models import AIModel, Lifecycle

MAX_INT = 2**31 - 1  # the range of PositiveIntegerField
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


class StrictBooleanField(forms.Field):
    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise forms.ValidationError("Must be true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


MAX_SLUGS = 100
MAX_METRICS = 10
_SLUG = re.compile(r"^[^\s,\x00]{1,160}$")
_METRIC_KEY = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
_BOUND_DIGITS = 20


class CommaListField(forms.CharField):
    """Comma-separated items, each matching `pattern`, at most `max_items`, duplicates once."""

    def __init__(self, *, pattern: re.Pattern[str], max_items: int, **kwargs: Any) -> None:
        self.pattern, self.max_items = pattern, max_items
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str] | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        items = list(dict.fromkeys(item.strip() for item in text.split(",")))
        if len(items) > self.max_items:
            raise forms.ValidationError(f"At most {self.max_items} items.", code="invalid")
        bad = [item for item in items if not self.pattern.match(item)]
        if bad:
            raise forms.ValidationError(f"Not a valid item: {bad[0]!r}.", code="invalid")
        return items


def _bound(text: str) -> Decimal | None:
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise forms.ValidationError(f"{text!r} is not a number.", code="invalid") from None
    # Bounded (as the price filters are) so that `1e999` is a 400, not a huge numeric.
    if not value.is_finite() or abs(value.adjusted()) > _BOUND_DIGITS:
        raise forms.ValidationError(f"{text!r} is not a usable bound.", code="invalid")
    return value


class MetricRangeField(forms.CharField):
    """`key:min:max[,key:min:max...]`; either bound may be empty: `arena_text:1300:`."""

    def to_python(self, value: Any) -> list[tuple[str, Decimal | None, Decimal | None]] | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        ranges = []
        for item in text.split(","):
            key, *bounds = item.strip().split(":")
            if len(bounds) != 2 or not _METRIC_KEY.match(key):
                raise forms.ValidationError(f"{item!r} is not key:min:max.", code="invalid")
            low, high = _bound(bounds[0]), _bound(bounds[1])
            if low is not None and high is not None and low > high:
                raise forms.ValidationError(f"{item!r}: min is above max.", code="invalid")
            ranges.append((key, low, high))
        if len(ranges) > MAX_METRICS:
            raise forms.ValidationError(f"At most {MAX_METRICS} ranges.", code="invalid")
        return ranges


class MetricOrderingField(forms.CharField):
    """`key` (ascending) or `-key` (descending)."""

    def to_python(self, value: Any) -> tuple[str, bool] | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        key = text.removeprefix("-")
        if not _METRIC_KEY.match(key):
            raise forms.ValidationError(f"{text!r} is not a metric key.", code="invalid")
        return key, text.startswith("-")


class MetricRangeFilter(django_filters.Filter):
    field_class = MetricRangeField


class MetricOrderingFilter(django_filters.Filter):
    field_class = MetricOrderingField


class CommaListFilter(django_filters.Filter):
    field_class = CommaListField


def _price_filter(field_name: str, help_text: str) -> django_filters.NumberFilter:
    # Bounded so that `1e999` is a 400 rather than a numeric overflow in the database.
    return django_filters.NumberFilter(
        field_name=field_name, lookup_expr="lte", min_value=0, max_digits=20, decimal_places=10,
        help_text=help_text,
    )  # fmt: skip


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Orders by the chosen fields with nulls last either way, then by slug. `expressions`
    maps a field to the expression to sort by instead of the bare column."""

    def __init__(self, *args: Any, expressions: dict[str, Any] | None = None, **kwargs: Any):
        self.expressions = expressions or {}
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[AIModel], value: list[str] | None) -> QuerySet[AIModel]:
        if not value:
            return qs
        ordering = []
        for param in filter(None, value):
            name = self.param_map[param.removeprefix("-")]
            field = self.expressions.get(name, F(name))
            descending = param.startswith("-")
            ordering.append(
                field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
            )
        return qs.order_by(*ordering, "slug")


# The catalog's own sort keys: field -> public key.
_ORDERING_FIELDS = {
    "current_price__input_per_mtok": "input_price",
    "current_price__output_per_mtok": "output_price",
    "context_window": "context_window",
    "release_date": "release_date",
    "name": "name",
}


def orders_by_registered(query: QueryDict) -> bool:
    """Whether the model list's `ordering` names a sort key other than the catalog's own
    (a registered measure, e.g. a rating; or an unknown key, refused when rendered)."""
    terms = (
        term.strip().lstrip("-") for value in query.getlist("ordering") for term in value.split(",")
    )
    return any(term and term not in _ORDERING_FIELDS.values() for term in terms)


def _ordering_filter() -> NullsLastOrderingFilter:
    """The catalog's sort keys and those other apps register (`registry.measure_list`).

    Built when this module is imported, which happens when the URLconf loads, after every
    `ready()` (the registry refuses to be read earlier).
    """
    registered = registry.measure_list(ordering=True)
    fields = {**_ORDERING_FIELDS, **{m.lookup: m.key for m in registered}}
    keys = list(fields.values())
    notes = "".join(f" `{m.key}`: {m.help}." for m in registered)
    return NullsLastOrderingFilter(
        fields=fields,
        expressions={m.lookup: m.expression() for m in registered},
        help_text="Comma-separated; `-` for descending. Nulls sort last; slug breaks ties." + notes,
        error_messages={
            "invalid_choice": f"%(value)s is not a sort key: use {', '.join(keys[:-1])} or "
            f"{keys[-1]}, each with an optional leading -."
        },
    )


class ModelListFilter(FilterSet):
    provider = django_filters.CharFilter(
        field_name="provider__slug", max_length=64, help_text="Provider slug, e.g. `openai`."
    )
    family = django_filters.CharFilter(
        field_name="family__slug", max_length=64, help_text="Model family slug."
    )
    input_modality = django_filters.CharFilter(
        field_name="input_modalities__slug",
        max_length=32,
        help_text="Only models accepting this input, e.g. `image`.",
    )
    open_weights = StrictBooleanFilter(
        field_name="open_weights", help_text="`true` or `false`; unknown matches neither."
    )
    min_context = IntegerFilter(
        field_name="context_window", lookup_expr="gte", min_value=0, max_value=MAX_INT,
        help_text="Smallest context window in tokens.",
    )  # fmt: skip
    max_input_price = _price_filter(
        "current_price__input_per_mtok", "Highest current input price, USD per 1M tokens."
    )
    max_output_price = _price_filter(
        "current_price__output_per_mtok", "Highest current output price, USD per 1M tokens."
    )
    lifecycle = django_filters.ChoiceFilter(choices=Lifecycle.choices, help_text="Lifecycle.")
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Words that must each appear in the name, slug or description.",
    )
    slugs = CommaListFilter(
        method="filter_slugs", pattern=_SLUG, max_items=MAX_SLUGS,
        help_text=f"Comma-separated model slugs (at most {MAX_SLUGS}): only these models, "
        "e.g. for cards of siblings or similar models. Unknown slugs are left out.",
    )  # fmt: skip
    metrics = CommaListFilter(
        method="filter_nothing", pattern=_METRIC_KEY, max_items=MAX_METRICS,
        help_text=f"Comma-separated metric keys (at most {MAX_METRICS}), e.g. `arena_text`: "
        "each model's `metrics` then carries its current value of each, with source and date. "
        "Metrics named by `metric_range` or `metric_ordering` are included too.",
    )  # fmt: skip
    metric_range = MetricRangeFilter(
        method="filter_metric_range",
        help_text="Comma-separated `key:min:max` (inclusive; either bound may be empty): only "
        "models whose current value of the metric is in range, e.g. `arena_text:1300:`.",
    )
    ordering = _ordering_filter()
    # After `ordering`: sorts by the metric first and keeps `ordering` as the tiebreak.
    metric_ordering = MetricOrderingFilter(
        method="filter_metric_ordering",
        help_text="A metric key, `-` for descending, e.g. `-arena_text`: sorts by the current "
        "value of the metric before `ordering` (models without a value last).",
    )

    class Meta:
        model = AIModel
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[AIModel]) -> QuerySet[AIModel]:
        """Checks that every metric named exists (a 400 naming the parameter), then adds the
        current values of the named metrics to each model (one query per page)."""
        data = self.form.cleaned_data
        named = {
            "metrics": data.get("metrics") or [],
            "metric_range": [key for key, _, _ in data.get("metric_range") or []],
            "metric_ordering": [data["metric_ordering"][0]] if data.get("metric_ordering") else [],
        }
        keys = [key for keys in named.values() for key in keys]
        if not keys:
            return super().filter_queryset(queryset)
        unknown = selectors.metric_keys_unknown(keys)
        for parameter, parameter_keys in named.items():
            missing = [key for key in parameter_keys if key in unknown]
            if missing:
                raise ValidationError({parameter: [f"No metric has the key {missing[0]!r}."]})
        qs = super().filter_queryset(queryset)
        return selectors.model_list_with_metrics(qs, list(dict.fromkeys(keys)))

    def filter_nothing(self, qs: QuerySet[AIModel], name: str, value: Any) -> QuerySet[AIModel]:
        return qs

    def filter_slugs(self, qs: QuerySet[AIModel], name: str, value: list[str]) -> QuerySet[AIModel]:
        return qs.filter(slug__in=value)

    def filter_metric_range(
        self, qs: QuerySet[AIModel], name: str, value: list[tuple[str, Any, Any]]
    ) -> QuerySet[AIModel]:
        for index, (key, low, high) in enumerate(value):
            alias = f"metric_range_{index}"
            qs = qs.alias(**{alias: selectors.metric_value_current(key)})
            if low is not None:
                qs = qs.filter(**{f"{alias}__gte": low})
            if high is not None:
                qs = qs.filter(**{f"{alias}__lte": high})
            if low is None and high is None:
                qs = qs.filter(**{f"{alias}__isnull": False})
        return qs

    def filter_metric_ordering(
        self, qs: QuerySet[AIModel], name: str, value: tuple[str, bool]
    ) -> QuerySet[AIModel]:
        key, descending = value
        qs = qs.alias(metric_order=selectors.metric_value_current(key))
        first = F("metric_order")
        first_key = first.desc(nulls_last=True) if descending else first.asc(nulls_last=True)
        return qs.order_by(first_key, *qs.query.order_by)

    def filter_search(self, qs: QuerySet[AIModel], name: str, value: str) -> QuerySet[AIModel]:
        for word in value.split():
            qs = qs.filter(
                Q(name__icontains=word) | Q(slug__icontains=word) | Q(description__icontains=word)
            )
        return qs
