"""Serializers of the catalog API: one per operation and direction, fields listed explicitly.

Output serializers never expose database ids, raw `provenance` or timestamps. Money is always a
string rendered by `MoneyField`, never a float.
"""

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import absolute_url
from models_catalog import registry
from models_catalog.api.references import (
    ModelReferenceOutputSerializer,
    ProviderSummaryOutputSerializer,
    model_reference,
    model_url,
)
from models_catalog.models import (
    AIModel,
    Direction,
    EditorialPoint,
    Lifecycle,
    Provider,
    ProviderProfileEdit,
    RouteKind,
    Source,
)
from models_catalog.registry import model_versions
from models_catalog.selectors import CATEGORIES

# Modalities are listed in this order, then any other alphabetically.
CANONICAL_MODALITIES = ("text", "image", "file", "audio", "video")
MAX_TOKENS = 10**12


def money_format(value: Decimal) -> str:
    """Exact decimal string with at least 2 decimal places and no superfluous zeros beyond.

    1.100000 -> "1.10", 0.275000 -> "0.275", 5.5 -> "5.50", 0.0000011 -> "0.0000011".
    """
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if not isinstance(exponent, int) or exponent > -2:
        normal = normal.quantize(Decimal("0.01"))
    return format(normal, "f")


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^\d+\.\d{2,}$", "example": "1.10"}
)
class MoneyField(serializers.Field):
    """Money as an exact decimal string (see `money_format`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return money_format(value)


def _modality_key(slug: str) -> tuple[int, str]:
    if slug in CANONICAL_MODALITIES:
        return CANONICAL_MODALITIES.index(slug), ""
    return len(CANONICAL_MODALITIES), slug


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class ModalityListField(serializers.Field):
    """Modality slugs of a related manager in canonical order (reads the prefetch cache)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> list[str]:
        return sorted((m.slug for m in value.all()), key=_modality_key)


def _url(context: Mapping[str, Any], name: str, **kwargs: str) -> str:
    return absolute_url(context, f"catalog:{name}", **kwargs)


# --- Providers -------------------------------------------------------------------------


class ProviderListOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="Provider slug, e.g. `openai`.")
    name = serializers.CharField(help_text="Display name.")
    website = serializers.CharField(help_text="Provider website; empty when unknown.")
    model_count = serializers.IntegerField(help_text="Number of models in the catalog.")
    url = serializers.SerializerMethodField(help_text="This provider's API resource.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, provider: Provider) -> str:
        return _url(self.context, "provider-detail", slug=provider.slug)


class FamilySummaryOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="Family slug, unique within the provider, e.g. `o`.")
    name = serializers.CharField(help_text="Display name of the family.")


class ProviderFamilyOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="Family slug, unique within the provider.")
    name = serializers.CharField(help_text="Display name of the family.")
    model_count = serializers.IntegerField(help_text="Number of models in the family.")


class ProviderLinkSerializer(serializers.Serializer):
    # A field named like `Field.label` (the stubs type that attribute as a string); DRF
    # collects declared fields before the class is built, so the name is free at runtime.
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=60, help_text="What the link is, e.g. `Docs`."
    )
    url = serializers.URLField(help_text="An http(s) URL.")


class ProviderProfileInputSerializer(serializers.Serializer):
    """The claimed profile's fields; each optional, the ones sent replace the current value."""

    description = serializers.CharField(
        required=False, allow_blank=True, max_length=5_000, help_text="About the provider."
    )
    website = serializers.URLField(required=False, allow_blank=True, help_text="Website.")
    support_url = serializers.URLField(required=False, allow_blank=True, help_text="Support.")
    support_email = serializers.EmailField(
        required=False, allow_blank=True, help_text="Public support address."
    )
    links = ProviderLinkSerializer(
        many=True, required=False, help_text="Up to 10 links (replaced as a whole)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


class ProviderProfileEditOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The proposal's id.")
    provider = ProviderSummaryOutputSerializer(help_text="The provider the edit is for.")
    changes = serializers.DictField(help_text="The fields proposed, with their new values.")
    state = serializers.ChoiceField(
        choices=ProviderProfileEdit.State.choices,
        help_text="`pending` until a moderator accepts or rejects it; `superseded` by a newer "
        "proposal.",
    )
    note = serializers.CharField(help_text="The moderator's note, if any.")
    created_at = serializers.DateTimeField(help_text="When it was proposed.")
    decided_at = serializers.DateTimeField(allow_null=True, help_text="When it was decided.")


class ProviderDetailOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="Provider slug, e.g. `openai`.")
    name = serializers.CharField(help_text="Display name.")
    website = serializers.CharField(help_text="Provider website; empty when unknown.")
    description = serializers.CharField(help_text="About the provider; may be empty.")
    support_url = serializers.CharField(help_text="Where users get support; may be empty.")
    support_email = serializers.CharField(help_text="Support address; may be empty.")
    links = ProviderLinkSerializer(many=True, help_text="Links the provider chose to show.")
    claimed = serializers.BooleanField(
        help_text="The provider has a verified manager on the platform who keeps this profile "
        "(each change accepted by a moderator)."
    )
    model_count = serializers.IntegerField(help_text="Number of models in the catalog.")
    families = ProviderFamilyOutputSerializer(
        many=True, help_text="The provider's model families, by name."
    )
    models_url = serializers.SerializerMethodField(help_text="The model list for this provider.")

    @extend_schema_field(OpenApiTypes.URI)
    @extend_schema_field(OpenApiTypes.URI)
    def get_models_url(self, provider: Provider) -> str:
        return f"{_url(self.context, 'model-list')}?provider={provider.slug}"


# --- Prices ----------------------------------------------------------------------------


class PriceSummaryOutputSerializer(serializers.Serializer):
    input_per_mtok = MoneyField(help_text="USD per 1M input tokens.")
    output_per_mtok = MoneyField(help_text="USD per 1M output tokens.")
    cached_input_per_mtok = MoneyField(
        allow_null=True, help_text="USD per 1M cached input tokens; null when not offered."
    )
    currency = serializers.CharField(help_text="ISO 4217 currency code (always USD).")


class PriceOutputSerializer(PriceSummaryOutputSerializer):
    offering = serializers.CharField(help_text="`standard`, or a variant such as `free`, `batch`.")
    # A declared field, which DRF takes off the class: not `Field.source`.
    source = serializers.ChoiceField(choices=Source.choices, help_text="Who published the price.")  # type: ignore[assignment]
    source_name = serializers.CharField(
        source="get_source_display", help_text="Display name of the source."
    )
    as_of = serializers.DateField(help_text="Date the source stated this price.")


class PriceHistoryInputSerializer(serializers.Serializer):
    since = serializers.DateField(
        required=False, help_text="Only prices stated on or after this date (YYYY-MM-DD)."
    )
    until = serializers.DateField(
        required=False, help_text="Only prices stated on or before this date (YYYY-MM-DD)."
    )
    offering = serializers.SlugField(
        max_length=32, required=False, help_text="Only this offering, e.g. `standard`, `free`."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and since > until:
            raise serializers.ValidationError({"until": ["Must not be before `since`."]})
        return attrs


class PricePointOutputSerializer(PriceSummaryOutputSerializer):
    as_of = serializers.DateField(
        help_text="Date the source stated this price; in force until the next point's date."
    )


class PriceSeriesOutputSerializer(serializers.Serializer):
    offering = serializers.CharField(help_text="`standard`, or a variant such as `free`, `batch`.")
    # A declared field, which DRF takes off the class: not `Field.source`.
    source = serializers.ChoiceField(choices=Source.choices, help_text="Who published the prices.")  # type: ignore[assignment]
    source_name = serializers.SerializerMethodField(help_text="Display name of the source.")
    prices = PricePointOutputSerializer(many=True, help_text="Dated prices, oldest first.")

    def get_source_name(self, series: Any) -> str:
        return str(Source(series.source).label)


class PriceHistoryOutputSerializer(serializers.Serializer):
    model = ModelReferenceOutputSerializer(help_text="The model (canonical).")
    series = PriceSeriesOutputSerializer(
        many=True, help_text="One series per offering and source; the standard offering first."
    )


# --- Models ----------------------------------------------------------------------------


class MetricValueOutputSerializer(serializers.Serializer):
    key = serializers.CharField(source="metric.key", help_text="Metric key, e.g. `arena_text`.")
    name = serializers.CharField(source="metric.name", help_text="Display name of the metric.")
    value = serializers.DecimalField(max_digits=12, decimal_places=4, help_text="Newest value.")
    unit = serializers.CharField(source="metric.unit", help_text="Unit; may be empty.")
    direction = serializers.ChoiceField(
        source="metric.direction",
        choices=Direction.choices,
        help_text="Whether a higher or a lower value is better.",
    )
    # A declared field, which DRF takes off the class: not `Field.source`.
    source = serializers.ChoiceField(choices=Source.choices, help_text="Who measured it.")  # type: ignore[assignment]
    source_name = serializers.CharField(
        source="get_source_display", help_text="Display name of who measured it."
    )
    via = serializers.CharField(
        help_text="Who republished the value (a source key); empty when taken from the source."
    )
    as_of = serializers.DateField(help_text="Date of the measurement snapshot.")
    ci_low = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text="Lower confidence bound."
    )
    ci_high = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text="Upper confidence bound."
    )


class RegisteredBriefField(serializers.Field):
    """A summary another app embeds in each model (`registry.ModelBrief`, e.g. the rating),
    rendered by that app from the row `model_list` joined: plain values, no query and no
    nested serializer per row. Its schema is the serializer the app registered."""

    def __init__(self, brief: registry.ModelBrief) -> None:
        self.brief = brief
        super().__init__(source="*", read_only=True, help_text=brief.help_text)
        # Typed for functions and classes, the decorator also marks an instance (it sets an
        # attribute the schema generator reads).
        extend_schema_field(brief.serializer)(cast(Any, self))

    def to_representation(self, model: AIModel) -> dict[str, Any]:
        return self.brief.render(model)


class ModelListOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="Stable slug `provider/model`, e.g. `openai/o4-mini`.")
    name = serializers.CharField(help_text="Display name.")
    provider = ProviderSummaryOutputSerializer(help_text="The publishing provider.")
    family = FamilySummaryOutputSerializer(
        allow_null=True, help_text="The model family; null when none."
    )
    input_modalities = ModalityListField(help_text="Accepted inputs, e.g. text, image, file.")
    output_modalities = ModalityListField(help_text="Produced outputs, e.g. text.")
    context_window = serializers.IntegerField(
        allow_null=True, help_text="Context window in tokens; null when unknown."
    )
    max_output_tokens = serializers.IntegerField(
        allow_null=True, help_text="Most tokens per response; null when unknown."
    )
    open_weights = serializers.BooleanField(
        allow_null=True, help_text="Weights published; null when unknown."
    )
    release_date = serializers.DateField(allow_null=True, help_text="Release date, if known.")
    lifecycle = serializers.ChoiceField(
        choices=Lifecycle.choices,
        help_text="`active` or `deprecated` (the model page adds `deprecation_date` and "
        "`successor`).",
    )
    listing_verified = serializers.BooleanField(help_text="An editor has checked this listing.")
    price = PriceSummaryOutputSerializer(
        source="current_price",
        allow_null=True,
        help_text="Current standard price per 1M tokens; null when variable or unknown.",
    )
    # `Field`: the detail serializer redeclares it as every current metric.
    metrics: serializers.Field = serializers.SerializerMethodField(
        help_text="The current value of each metric named by `metrics`, `metric_range` or "
        "`metric_ordering` that the model has, by key; empty when none is named."
    )
    url = serializers.SerializerMethodField(help_text="This model's page in the API.")

    @extend_schema_field(MetricValueOutputSerializer(many=True))
    def get_metrics(self, model: AIModel) -> list[dict[str, Any]]:
        listed = getattr(model, "listed_metric_values", [])
        return cast(list[dict[str, Any]], MetricValueOutputSerializer(listed, many=True).data)

    def get_fields(self) -> dict[str, serializers.Field]:
        # Registered summaries (the rating) go just before `url`, where the rating always was.
        fields: dict[str, serializers.Field] = {}
        for name, field in super().get_fields().items():
            if name == "url":
                fields.update((b.field, RegisteredBriefField(b)) for b in registry.brief_list())
            fields[name] = field
        return fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, model: AIModel) -> str:
        return model_url(self.context, model)

    def to_representation(self, instance: AIModel) -> dict[str, Any]:
        # A list page renders tens of models; DRF's generic walk over these fields (and the
        # nested provider, family and price serializers) cost most of a cold page. Built
        # directly, with exactly the fields' conversions; the model page (a subclass, one
        # model) keeps the generic walk. Tests compare both on the real catalog.
        if type(self) is not ModelListOutputSerializer:
            return super().to_representation(instance)
        return model_list_item(instance, self.context)


def _date(value: dt.date | None) -> str | None:
    # DRF's DateField with its default ISO 8601 output.
    return value.isoformat() if value else None


def model_list_item(model: AIModel, context: Mapping[str, Any]) -> dict[str, Any]:
    """What the fields of `ModelListOutputSerializer` render for one model, in their order."""
    provider, family, price = model.provider, model.family, model.current_price
    item: dict[str, Any] = {
        "slug": str(model.slug),
        "name": str(model.name),
        "provider": {
            "slug": str(provider.slug), "name": str(provider.name),
            "url": _url(context, "provider-detail", slug=provider.slug),
        },
        "family": None if family is None else {"slug": str(family.slug), "name": str(family.name)},
        "input_modalities": _modalities(model.input_modalities.all()),
        "output_modalities": _modalities(model.output_modalities.all()),
        "context_window": _int(model.context_window),
        "max_output_tokens": _int(model.max_output_tokens),
        "open_weights": None if model.open_weights is None else bool(model.open_weights),
        "release_date": _date(model.release_date),
        "lifecycle": model.lifecycle,
        "listing_verified": bool(model.listing_verified),
        "price": None if price is None else {
            "input_per_mtok": _money(price.input_per_mtok),
            "output_per_mtok": _money(price.output_per_mtok),
            "cached_input_per_mtok": _money(price.cached_input_per_mtok),
            "currency": None if price.currency is None else str(price.currency),
        },
        "metrics": _listed_metrics(model),
    }  # fmt: skip
    item.update((b.field, b.render(model)) for b in registry.brief_list())
    item["url"] = model_url(context, model)
    return item


def _modalities(rows: Any) -> list[str]:
    return sorted((m.slug for m in rows), key=_modality_key)


def _int(value: int | None) -> int | None:
    return None if value is None else int(value)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else money_format(value)


def _listed_metrics(model: AIModel) -> list[dict[str, Any]]:
    listed = getattr(model, "listed_metric_values", [])
    if not listed:
        return []
    return cast(list[dict[str, Any]], MetricValueOutputSerializer(listed, many=True).data)


class BestForOutputSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="The use case, e.g. `Coding agents`.")
    text = serializers.CharField(help_text="Why the model fits it; may be empty.")


class FAQEntryOutputSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="The question.")
    answer = serializers.CharField(help_text="The editors' answer.")


class EditorialOutputSerializer(serializers.Serializer):
    best_for = BestForOutputSerializer(many=True, help_text="Use cases the model is best for.")
    strengths = serializers.SerializerMethodField(help_text="Strengths, in editorial order.")
    limitations = serializers.SerializerMethodField(help_text="Limitations, in editorial order.")
    verdict = serializers.CharField(
        source="editor_verdict", help_text="The editors' verdict; may be empty."
    )
    faq = FAQEntryOutputSerializer(many=True, help_text="Frequently asked questions.")

    def _points(self, model: AIModel, kind: str) -> list[str]:
        return [p.text for p in model.editorial_points.all() if p.kind == kind]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_strengths(self, model: AIModel) -> list[str]:
        return self._points(model, EditorialPoint.Kind.STRENGTH)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_limitations(self, model: AIModel) -> list[str]:
        return self._points(model, EditorialPoint.Kind.LIMITATION)


class FieldSourceOutputSerializer(serializers.Serializer):
    # A declared field, which DRF takes off the class: not `Field.source`.
    source = serializers.CharField(help_text="Source key that set the value, e.g. `openrouter`.")  # type: ignore[assignment]
    as_of = serializers.DateField(help_text="Date of the source snapshot that set the value.")


class ModelLinksOutputSerializer(serializers.Serializer):
    cost = serializers.URLField(help_text="The cost calculator for this model.")
    ranks = serializers.URLField(help_text="This model's ranks.")
    prices = serializers.URLField(help_text="This model's price history.")


class ModelVersionOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(
        help_text="The version's canonical slug, e.g. `openai/o4-mini-2025-04-16`; reviews "
        "name it as `model_version` (the model's slug and aliases are other names of the "
        "current one)."
    )
    current = serializers.BooleanField(help_text="The catalog's current version.")
    review_count = serializers.IntegerField(
        help_text="Counted reviews of this version (as in the rating's `versions`)."
    )


class QuickStartOutputSerializer(serializers.Serializer):
    base_url = serializers.CharField(
        help_text="The route's OpenAI-compatible base URL, as its provider documents it; may "
        "hold a `{resource}` placeholder (Azure: one endpoint per customer resource)."
    )
    # Not `model`: in this API `model` always names a catalog model by reference object.
    model_id = serializers.CharField(
        help_text="The model's id on this route: send it as the request's `model`."
    )
    placeholders = serializers.ListField(
        child=serializers.CharField(), help_text="Placeholders in `base_url` to fill in."
    )


class RouteOutputSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Route key as the source names it, e.g. `azure/eu`.")
    name = serializers.CharField(help_text="Display name, e.g. `Azure OpenAI`.")
    kind = serializers.ChoiceField(
        choices=RouteKind.choices,
        help_text="first_party (the maker's own API), cloud or aggregator.",
    )
    region = serializers.CharField(help_text="Region where the source says it; may be empty.")
    model_id = serializers.CharField(
        source="route_model_id", help_text="The model's id on this route."
    )
    input_per_mtok = MoneyField(help_text="USD per 1M input tokens on this route.")
    output_per_mtok = MoneyField(help_text="USD per 1M output tokens on this route.")
    cached_input_per_mtok = MoneyField(
        allow_null=True, help_text="USD per 1M cached input tokens; null when not stated."
    )
    currency = serializers.CharField(help_text="ISO 4217 currency code (always USD).")
    # A declared field, which DRF takes off the class: not `Field.source`.
    source = serializers.ChoiceField(choices=Source.choices, help_text="Who stated the price.")  # type: ignore[assignment]
    as_of = serializers.DateField(help_text="Date of the source's snapshot.")
    quick_start = serializers.SerializerMethodField(
        help_text="How to call the model on this route with an OpenAI-compatible client; "
        "null when the route is not OpenAI-compatible (or its base URL is not known)."
    )

    @extend_schema_field(QuickStartOutputSerializer(allow_null=True))
    def get_quick_start(self, route: Any) -> dict[str, Any] | None:
        if not route.base_url:
            return None
        placeholders = re.findall(r"\{(\w+)\}", route.base_url)
        return {"base_url": route.base_url, "model_id": route.route_model_id,
                "placeholders": placeholders}  # fmt: skip


class PriceTierOutputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=CATEGORIES,
        help_text="The category the tier is within: reasoning, multimodal, open_weights or all.",
    )
    tier = serializers.ChoiceField(
        choices=["budget", "mid-priced", "premium"], help_text="The price tier."
    )
    percentile = serializers.DecimalField(
        max_digits=4, decimal_places=1,
        help_text="Share of the category's priced models strictly cheaper, in percent.",
    )  # fmt: skip
    measure = serializers.SerializerMethodField(help_text="The rank measure: blended_price.")
    rank = serializers.IntegerField(help_text="The blended_price rank it comes from (1 cheapest).")
    total = serializers.IntegerField(help_text="Priced models in the category.")

    def get_measure(self, tier: Any) -> str:
        return "blended_price"


class FactOutputSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="The fact: an attribute (`context_window`), a price "
        "(`price.output_per_mtok`), a route (`route:azure/eu`), `price_tier`, or the "
        "editors' field (`tagline`, `verdict`, `faq`)."
    )
    value = serializers.CharField(help_text="The value as the sentence states it.")
    # A declared field, which DRF takes off the class: not `Field.source`.
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="A source key (`openrouter`, `litellm`, ...), `computed` (by this site, "
        "from sourced values: a price tier) or `editor`."
    )
    as_of = serializers.DateField(
        allow_null=True, help_text="The source's snapshot date; null for computed and editor."
    )


class StatementOutputSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The sentence.")
    generated = serializers.BooleanField(
        help_text="Built from facts by a template (true), or written by an editor (false)."
    )
    facts = FactOutputSerializer(many=True, help_text="The facts the sentence states.")


class OverviewFAQOutputSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="The question.")
    answer = serializers.CharField(help_text="The answer.")
    generated = serializers.BooleanField(
        help_text="Built from facts (true), or the editors' entry (false)."
    )
    facts = FactOutputSerializer(many=True, help_text="The facts the answer states.")


class OverviewOutputSerializer(serializers.Serializer):
    language = serializers.CharField(help_text="Language of the generated text, e.g. `en`.")
    tagline = StatementOutputSerializer(
        allow_null=True, help_text="One line about the model; null when nothing is known."
    )
    verdict = StatementOutputSerializer(
        many=True,
        help_text="The editors' verdict (one statement, generated false) or sentences "
        "generated from facts: context, price and tier, availability, weights, lifecycle.",
    )
    faq = OverviewFAQOutputSerializer(
        many=True, help_text="The editors' FAQ when they wrote one, else entries from facts."
    )


class RegisteredDetailField(serializers.Field):
    """A model page block another app registers (`registry.DetailBlock`), rendered from the
    row `model_detail_get` joined. Its schema is the serializer the app registered."""

    def __init__(self, block: registry.DetailBlock) -> None:
        self.block = block
        super().__init__(source="*", read_only=True, help_text=block.help_text)
        extend_schema_field(block.serializer)(cast(Any, self))

    def to_representation(self, model: AIModel) -> dict[str, Any]:
        return self.block.render(model, self.context.get("request"))


class ModelDetailOutputSerializer(ModelListOutputSerializer):
    version_slug = serializers.CharField(help_text="Dated version slug; may be empty.")
    description = serializers.CharField(help_text="Description (markdown); may be empty.")
    parameter_count = serializers.IntegerField(
        allow_null=True, help_text="Total parameters; null when not public."
    )
    knowledge_cutoff = serializers.DateField(allow_null=True, help_text="Training data cutoff.")
    tokenizer = serializers.CharField(help_text="Tokenizer family; may be empty.")
    supported_parameters = serializers.ListField(
        child=serializers.CharField(), help_text="Request parameters the model accepts."
    )
    deprecation_date = serializers.DateField(
        allow_null=True, help_text="Date the provider retires or retired the model, if announced."
    )
    successor = ModelReferenceOutputSerializer(
        allow_null=True, help_text="The model that replaces this one; null when none."
    )
    price = PriceOutputSerializer(
        source="current_price",
        allow_null=True,
        help_text="Current standard price per 1M tokens; null when variable or unknown.",
    )
    offerings = PriceOutputSerializer(
        source="current_offerings",
        many=True,
        help_text="Current prices of other offerings (free, batch, ...).",
    )
    metrics = MetricValueOutputSerializer(
        source="current_metric_values", many=True, help_text="Newest value of each metric."
    )
    editorial = EditorialOutputSerializer(source="*", help_text="Curated by the editors.")
    overview = OverviewOutputSerializer(
        help_text="Tagline, verdict and FAQ: the editors' text where they wrote it, else "
        "sentences generated from facts, each with the facts and sources it states."
    )
    availability = RouteOutputSerializer(
        source="route_list",
        many=True,
        help_text="Where the model is served: its maker's API, clouds, aggregators (each kind "
        "cheapest first), with each route's price, region, source and date.",
    )
    price_tier = serializers.SerializerMethodField(
        help_text="The price tier within the model's class (its most specific category), "
        "with the blended_price rank it comes from; null without a price or tier."
    )
    price_tiers = PriceTierOutputSerializer(
        many=True, help_text="The price tier within every category that gives one."
    )
    siblings = serializers.SerializerMethodField(help_text="Other models of the same family.")
    sources = serializers.SerializerMethodField(
        help_text="Per attribute: the source and snapshot date that set its value."
    )
    links = serializers.SerializerMethodField(help_text="Related API resources.")
    versions = serializers.SerializerMethodField(
        help_text="The model's versions, the current one first, with their review counts."
    )

    @extend_schema_field(PriceTierOutputSerializer(allow_null=True))
    def get_price_tier(self, model: AIModel) -> dict[str, Any] | None:
        tiers = model.price_tiers
        return dict(PriceTierOutputSerializer(tiers[0]).data) if tiers else None

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Blocks other apps register (what reviewers say) go just before `links`.
        ordered: dict[str, serializers.Field] = {}
        for name, field in fields.items():
            if name == "links":
                ordered.update(
                    (b.field, RegisteredDetailField(b)) for b in registry.detail_block_list()
                )
            ordered[name] = field
        return ordered

    @extend_schema_field(ModelVersionOutputSerializer(many=True))
    def get_versions(self, model: AIModel) -> list[dict[str, Any]]:
        # The reviews app registers the lister (this app never imports it).
        return list(ModelVersionOutputSerializer(model_versions(model), many=True).data)

    @extend_schema_field(ModelReferenceOutputSerializer(many=True))
    def get_siblings(self, model: AIModel) -> list[dict[str, Any]]:
        members = model.family.members if model.family is not None else []
        others = [m for m in members if m.pk != model.pk]
        return [model_reference(other, self.context) for other in others]

    @extend_schema_field(serializers.DictField(child=FieldSourceOutputSerializer()))
    def get_sources(self, model: AIModel) -> dict[str, Any]:
        # `provenance` also holds bookkeeping (`seen_by`); only per-field entries are public.
        return {
            name: FieldSourceOutputSerializer(entry).data
            for name, entry in sorted(model.provenance.items())
            if isinstance(entry, dict) and {"source", "as_of"} <= entry.keys()
        }

    @extend_schema_field(ModelLinksOutputSerializer)
    def get_links(self, model: AIModel) -> dict[str, str]:
        return {
            "cost": model_url(self.context, model, "model-cost"),
            "ranks": model_url(self.context, model, "model-ranks"),
            "prices": model_url(self.context, model, "model-prices"),
        }


# The catalog's own part of the model page, with a slot where each field another app renders
# goes (the registered briefs and blocks, the versions): what only the catalog shows is kept
# under the catalog's generation alone, and a rating or a review re-renders only the slots
# (api/documents.py). A slot is the string NUL + the field's name: no text of the catalog can
# hold NUL (PostgreSQL refuses it in text and jsonb), so its JSON `"\u0000` never occurs in
# the data.
SLOT_MARK = "\x00"


class _SlotField(serializers.Field):
    def __init__(self, name: str) -> None:
        self.slot = SLOT_MARK + name
        super().__init__(source="*", read_only=True)

    def to_representation(self, value: Any) -> str:
        return self.slot


def _slot_names() -> list[str]:
    return [
        *(b.field for b in registry.brief_list()),
        *(b.field for b in registry.detail_block_list()),
        "versions",
    ]


class ModelDetailCatalogPartSerializer(ModelDetailOutputSerializer):
    """`ModelDetailOutputSerializer` with a slot in place of each field other apps render.
    Never in the schema (the page's schema is `ModelDetailOutputSerializer`'s)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        slots = set(_slot_names())
        fields = super().get_fields()
        return {name: _SlotField(name) if name in slots else f for name, f in fields.items()}


def model_detail_slots(model: AIModel, request: Any) -> dict[str, Any]:
    """What fills the slots of `ModelDetailCatalogPartSerializer`, by field, from a model
    loaded by `selectors.model_detail_registered_get` (no query): the same values the
    fields of `ModelDetailOutputSerializer` render."""
    values: dict[str, Any] = {b.field: b.render(model) for b in registry.brief_list()}
    values.update((b.field, b.render(model, request)) for b in registry.detail_block_list())
    values["versions"] = list(ModelVersionOutputSerializer(model_versions(model), many=True).data)
    return values


# --- Cost ------------------------------------------------------------------------------


class ModelCostInputSerializer(serializers.Serializer):
    input_tokens = serializers.IntegerField(
        min_value=0, max_value=MAX_TOKENS, default=0,
        help_text="Input tokens billed at the input price (not counting cached ones).",
    )  # fmt: skip
    cached_input_tokens = serializers.IntegerField(
        min_value=0, max_value=MAX_TOKENS, default=0,
        help_text="Input tokens served from the prompt cache.",
    )  # fmt: skip
    output_tokens = serializers.IntegerField(
        min_value=0, max_value=MAX_TOKENS, default=0, help_text="Output tokens."
    )
    offering = serializers.SlugField(
        max_length=32,
        required=False,
        help_text="`standard` (default), or an offering such as `batch` or `free`. A variant "
        "slug (`openai/o4-mini:batch`) selects its offering when this is absent.",
    )
    route = serializers.RegexField(
        r"^[a-z0-9][a-z0-9_./-]*$",
        max_length=64,
        required=False,
        help_text="Price the request on this route of the model's `availability` (e.g. "
        "`azure/eu`, `openrouter`) instead of the catalog's price. Not with `offering`. "
        "404 `route_unavailable` lists the model's routes.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "route" in attrs and "offering" in attrs:
            raise serializers.ValidationError(
                {"route": ["A route has one price: leave `offering` out."]}
            )
        return attrs


COST_PARTS = ["input", "cached_input", "output"]


class CostPartOutputSerializer(serializers.Serializer):
    part = serializers.ChoiceField(choices=COST_PARTS, help_text="input, cached_input or output.")
    tokens = serializers.IntegerField(help_text="Tokens billed in this part.")
    price_applied = serializers.ChoiceField(
        choices=COST_PARTS,
        help_text="Which price billed the part: input, cached_input or output. Cached input is "
        "billed at the input price when the offering has no cached price.",
    )
    price_per_million = MoneyField(help_text="The price applied, per 1M tokens.")
    cost = MoneyField(help_text="tokens x price_per_million / 1,000,000, exact.")


class ModelCostOutputSerializer(serializers.Serializer):
    model = ModelReferenceOutputSerializer(help_text="The model priced (canonical).")
    offering = serializers.CharField(source="price.offering", help_text="The offering priced.")
    currency = serializers.CharField(source="price.currency", help_text="ISO 4217 code (USD).")
    price = PriceOutputSerializer(help_text="The price used, with its source and date.")
    parts = CostPartOutputSerializer(many=True, help_text="input, cached_input and output.")
    total = MoneyField(help_text="Sum of the parts, exact.")
    route = serializers.CharField(
        source="route.key",
        allow_null=True,
        default=None,
        help_text="The route priced (`route` parameter); null for the catalog's price.",
    )


# --- Ranks -----------------------------------------------------------------------------


class RankOutputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=CATEGORIES,
        help_text="all, multimodal (image input), open_weights, reasoning or free.",
    )
    # Not an enum: metric keys come with the imported data (the list is in the help text).
    measure = serializers.CharField()
    measure_name = serializers.CharField(help_text="Display name of the measure.")
    rank = serializers.IntegerField(help_text="1 is best; equal values share a rank.")
    total = serializers.IntegerField(help_text="Models in the category that have the measure.")
    direction = serializers.ChoiceField(
        choices=Direction.choices, help_text="Whether a higher or a lower value is better."
    )
    # A declared field, which DRF takes off the class: not `Field.label`.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="E.g. `input_price: 70 of 124 multimodal models, lower is better`."
    )
    tier = serializers.ChoiceField(
        choices=["budget", "mid-priced", "premium"],
        allow_null=True,
        help_text="On the `blended_price` rank only: the price tier this rank gives within "
        "the category (thresholds on the ratings methodology endpoint); null on other "
        "measures, the free category and categories with too few priced models.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        registered = [m.key for m in registry.measure_list(ranked=True)]
        fields["measure"].help_text = (
            "A metric key, or input_price, output_price, blended_price, context_window"
            + "".join(f", {key}" for key in registered)
            + " (a model without a value is not ranked on it)."
        )
        return fields


class ModelRanksOutputSerializer(serializers.Serializer):
    model = ModelReferenceOutputSerializer(help_text="The model ranked (canonical).")
    ranks = RankOutputSerializer(many=True, help_text="Per category, then per measure.")


def model_ranks_data(ranks: Any, context: Mapping[str, Any]) -> dict[str, Any]:
    """What `ModelRanksOutputSerializer` renders, built directly: a nested serializer per
    rank (tens per model) cost more than ranking the whole catalog. Every value is already
    of its field's type (`selectors.Rank`); tests compare both on the real catalog."""
    return {
        "model": model_reference(ranks.model, context),
        "ranks": [
            {
                "category": r.category, "measure": str(r.measure),
                "measure_name": str(r.measure_name), "rank": int(r.rank), "total": int(r.total),
                "direction": r.direction, "label": str(r.label), "tier": r.tier,
            }
            for r in ranks.ranks
        ],
    }  # fmt: skip


# --- The page in one request (`?include=`) ---------------------------------------------


# The registered parts are other apps' documents (the reviews app's rating and first page
# of reviews): typed by reference to their components, which those apps' own endpoints put
# in the schema, so a generated client types them (the catalog cannot import their
# serializers: imports run the other way).
@extend_schema_field({"$ref": "#/components/schemas/ModelRatingOutput"})
class _RatingPartField(serializers.DictField):
    pass


@extend_schema_field({"$ref": "#/components/schemas/PaginatedReviewOutputList"})
class _ReviewsPartField(serializers.DictField):
    pass


class ModelPageIncludedOutputSerializer(serializers.Serializer):
    """The parts `include` asked for, each exactly as its own endpoint answers it."""

    rating = _RatingPartField(
        required=False, help_text="`include=rating`: as `GET …/rating/` answers it."
    )
    ranks = ModelRanksOutputSerializer(
        required=False, help_text="`include=ranks`: as `GET …/ranks/` answers it."
    )
    reviews = _ReviewsPartField(
        required=False,
        help_text="`include=reviews`: the first page of `GET …/reviews/` (newest first, "
        "default page size) as an anonymous reader sees it; follow its `next`.",
    )


class ModelPageOutputSerializer(ModelDetailOutputSerializer):
    included = ModelPageIncludedOutputSerializer(
        required=False, help_text="Only with `include`: the parts named, under their names."
    )


# --- Charts ----------------------------------------------------------------------------


def measure_value_format(value: Decimal | float) -> str:
    """A measure's value as an exact decimal string without superfluous zeros (floats, the
    rating scores, to 4 places)."""
    if isinstance(value, float):
        return format(Decimal(str(round(value, 4))).normalize(), "f")
    return format(value.normalize(), "f")


@extend_schema_field({"type": "string", "format": "decimal", "example": "4.4"})
class MeasureValueField(serializers.Field):
    """A measure's value (a price, a score, a count) as a decimal string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal | float) -> str:
        return measure_value_format(value)


class ChartInputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=CATEGORIES,
        help_text="all, multimodal (image input), open_weights, reasoning or free.",
    )
    measure = serializers.CharField(
        max_length=64,
        help_text="input_price, output_price, blended_price, context_window, a rating measure "
        "(bayesian_average, lower_bound) or a metric key such as `arena_text`.",
    )


class ChartPointOutputSerializer(serializers.Serializer):
    model = ModelReferenceOutputSerializer(source="*", help_text="The model charted.")
    value = MeasureValueField(help_text="The model's current value of the measure.")
    rank = serializers.IntegerField(
        help_text="1 is best; equal values share a rank (as in the model's `ranks/`)."
    )
    # A declared field, which DRF takes off the class: not `Field.source`.
    source = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="Source key of the value, e.g. `openrouter`; null for values this site "
        "computes (ratings) or of unrecorded origin."
    )
    as_of = serializers.SerializerMethodField(
        help_text="Date of the source's snapshot; null when `source` is."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_source(self, point: Any) -> str | None:
        return point.origin[0] if point.origin else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_as_of(self, point: Any) -> str | None:
        return point.origin[1].isoformat() if point.origin else None


class ChartOutputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=CATEGORIES, help_text="The category charted.")
    measure = serializers.CharField(source="measure.key", help_text="The measure charted.")
    measure_name = serializers.CharField(source="measure.name", help_text="Its display name.")
    unit = serializers.CharField(source="measure.unit", help_text="Its unit; may be empty.")
    direction = serializers.ChoiceField(
        source="measure.direction",
        choices=Direction.choices,
        help_text="Whether a higher or a lower value is better.",
    )
    total = serializers.SerializerMethodField(
        help_text="Models in the category that have the measure (the ranks' total)."
    )
    points = ChartPointOutputSerializer(
        many=True, help_text="Every such model, best first (slug breaks ties)."
    )

    def get_total(self, chart: Any) -> int:
        return len(chart.points)


# --- Compare ---------------------------------------------------------------------------

MIN_COMPARED, MAX_COMPARED = 2, 5
DEFAULT_COMPARE_TOKENS = 1_000_000


class CompareInputSerializer(serializers.Serializer):
    models = serializers.CharField(
        max_length=MAX_COMPARED * 161,
        help_text=f"{MIN_COMPARED}-{MAX_COMPARED} comma-separated model slugs or aliases, in "
        "the order of the columns, e.g. `openai/o4-mini,anthropic/claude-sonnet-4`.",
    )
    input_tokens = serializers.IntegerField(
        min_value=0, max_value=MAX_TOKENS, default=DEFAULT_COMPARE_TOKENS,
        help_text="Input tokens of the request whose cost is compared (default 1,000,000).",
    )  # fmt: skip
    cached_input_tokens = serializers.IntegerField(
        min_value=0, max_value=MAX_TOKENS, default=0,
        help_text="Cached input tokens of that request (default 0).",
    )  # fmt: skip
    output_tokens = serializers.IntegerField(
        min_value=0, max_value=MAX_TOKENS, default=DEFAULT_COMPARE_TOKENS,
        help_text="Output tokens of that request (default 1,000,000).",
    )  # fmt: skip

    def validate_models(self, value: str) -> list[str]:
        slugs = [slug.strip() for slug in value.split(",")]
        if any(not slug or "\x00" in slug for slug in slugs):
            raise serializers.ValidationError("An empty or invalid slug.")
        if len(set(slugs)) != len(slugs):
            raise serializers.ValidationError("A model is named twice.")
        if not MIN_COMPARED <= len(slugs) <= MAX_COMPARED:
            raise serializers.ValidationError(
                f"Name {MIN_COMPARED} to {MAX_COMPARED} models; got {len(slugs)}."
            )
        return slugs


@extend_schema_field({"type": "string", "nullable": True, "example": "200000"})
class CompareValueField(serializers.Field):
    """A cell's value as text: a decimal, an integer, an ISO date, `true`/`false` or words."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Decimal | float):
            return measure_value_format(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)


class CompareCellOutputSerializer(serializers.Serializer):
    value = CompareValueField(
        allow_null=True,
        help_text="The model's value as text (a decimal, integer, ISO date, true/false or a "
        "comma-separated list); null when the model has none.",
    )
    better = serializers.BooleanField(
        help_text="The best value of the row by its direction (ties all marked); false in "
        "every cell when the row has no direction or fewer than two different values."
    )
    # A declared field, which DRF takes off the class: not `Field.source`.
    source = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="Source key of the value, e.g. `openrouter`; null for values this site "
        "computes (ratings, costs from the price) or of unrecorded origin."
    )
    as_of = serializers.SerializerMethodField(
        help_text="Date of the source's snapshot; null when `source` is."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_source(self, cell: Any) -> str | None:
        return cell.origin[0] if cell.origin else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_as_of(self, cell: Any) -> str | None:
        return cell.origin[1].isoformat() if cell.origin else None


class CompareRowOutputSerializer(serializers.Serializer):
    group = serializers.CharField(
        help_text="specs, prices, metrics, ratings or sub_ratings (rows of other apps)."
    )
    key = serializers.CharField(help_text="Row key, e.g. `context_window`, a metric key.")
    name = serializers.CharField(help_text="Display name of the row.")
    unit = serializers.CharField(help_text="Unit of the values; may be empty.")
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        allow_null=True,
        help_text="Whether a higher or a lower value is better; null when neither is.",
    )
    cells = CompareCellOutputSerializer(
        many=True, help_text="One cell per compared model, in the order of `models`."
    )


class CompareTokensOutputSerializer(serializers.Serializer):
    input_tokens = serializers.IntegerField(help_text="Input tokens of the compared request.")
    cached_input_tokens = serializers.IntegerField(help_text="Its cached input tokens.")
    output_tokens = serializers.IntegerField(help_text="Its output tokens.")


class CompareOutputSerializer(serializers.Serializer):
    models = ModelReferenceOutputSerializer(
        many=True, help_text="The compared models (canonical slugs), in the order asked."
    )
    tokens = CompareTokensOutputSerializer(help_text="The request the `cost` row prices.")
    rows = CompareRowOutputSerializer(many=True, help_text="Aligned rows, grouped.")
