"""How every representation names a model or a provider: one reference object each,
`{slug, name, url}`.

A review, a report, a moderation item, a price history, ranks, a chart point, a compared
model, a successor, a sibling and a webhook payload all mention a model the same way, so a
frontend renders a link to a model with one component and never builds a URL itself.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import absolute_url
from models_catalog.models import AIModel, Provider


def model_url(context: Any, model: AIModel, name: str = "model-detail") -> str:
    """The absolute URL of one of the model's routes (`model-detail`, `model-cost`, ...)."""
    provider, _, model_part = model.slug.partition("/")
    return absolute_url(context, f"catalog:{name}", provider=provider, model=model_part)


class ModelReferenceOutputSerializer(serializers.Serializer):
    """A model as other resources mention it (its row's `slug` and `name`)."""

    slug = serializers.CharField(help_text="Canonical slug `provider/model`: `openai/o4-mini`.")
    name = serializers.CharField(help_text="Display name.")
    url = serializers.SerializerMethodField(help_text="The model's page in the API (absolute).")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, model: AIModel) -> str:
        return model_url(self.context, model)


def model_reference(model: AIModel, context: Any = None) -> dict[str, Any]:
    """The reference object outside a serializer (webhook payloads, pre-built rows, a
    page's siblings): what `ModelReferenceOutputSerializer` renders, built directly (a
    serializer per reference cost more than the rest of a sibling list; tests compare)."""
    slug, name = model.slug, model.name
    return {
        "slug": None if slug is None else str(slug),
        "name": None if name is None else str(name),
        "url": model_url(context or {}, model),
    }


class ProviderSummaryOutputSerializer(serializers.Serializer):
    """A provider as other resources mention it: a model, a reply, reply figures, a profile
    edit, a webhook subscription, the export (the same shape as a model's reference)."""

    slug = serializers.CharField(help_text="Provider slug, e.g. `openai`.")
    name = serializers.CharField(help_text="Display name, e.g. `OpenAI`.")
    url = serializers.SerializerMethodField(help_text="The provider in the API (absolute).")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, provider: Provider) -> str:
        return absolute_url(self.context, "catalog:provider-detail", slug=provider.slug)


def provider_reference(provider: Provider, context: Any = None) -> dict[str, Any]:
    """The provider's reference object outside a serializer (the export, payloads)."""
    return dict(ProviderSummaryOutputSerializer(provider, context=context or {}).data)
