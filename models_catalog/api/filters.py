"""Query parameters of the model list, validated: a bad value is a 400 naming the parameter.

django-filter turns an invalid form into that 400 (`DjangoFilterBackend` raises
`ValidationError`). Two stock behaviours are tightened here: a boolean that is not
true/false is an error rather than "no filter", and ordering puts nulls last with a slug
tiebreak so pages are stable.
"""

from typing import Any

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django_filters.rest_framework import FilterSet

from models_catalog import registry
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
    ordering = _ordering_filter()

    class Meta:
        model = AIModel
        fields: list[str] = []

    def filter_search(self, qs: QuerySet[AIModel], name: str, value: str) -> QuerySet[AIModel]:
        for word in value.split():
            qs = qs.filter(
                Q(name__icontains=word) | Q(slug__icontains=word) | Q(description__icontains=word)
            )
        return qs
