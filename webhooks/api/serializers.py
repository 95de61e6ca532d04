from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from models_catalog.api.references import (
    ModelReferenceOutputSerializer,
    ProviderSummaryOutputSerializer,
    model_reference,
)
from models_catalog.models import AIModel, Provider
from webhooks.models import WebhookDelivery, WebhookEventType, WebhookSubscription

SUBSCRIBABLE = [c for c in WebhookEventType.choices if c[0] != WebhookEventType.PING]


class SubscriptionCreateInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text="Endpoint (HTTPS in production).")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE), min_length=1,
        help_text="Public event types to receive.",
    )  # fmt: skip
    provider = serializers.SlugRelatedField(
        slug_field="slug", queryset=Provider.objects.all(), required=False, allow_null=True,
        help_text="Only events about this provider's models.",
    )  # fmt: skip
    models = serializers.SlugRelatedField(
        slug_field="slug", queryset=AIModel.objects.all(), many=True, required=False,
        help_text="Only events about these models (`provider/model` slugs).",
    )  # fmt: skip
    description = serializers.CharField(
        max_length=200, required=False, default="", help_text="A note for yourself."
    )


class SubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The subscription's id.")
    url = serializers.URLField(help_text="The endpoint deliveries are POSTed to.")
    description = serializers.CharField(help_text="Your note.")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE), help_text="Event types it receives."
    )
    provider = ProviderSummaryOutputSerializer(
        source="filter_provider", allow_null=True,
        help_text="Only events about this provider's models; null for any.",
    )  # fmt: skip
    models = serializers.SerializerMethodField(
        help_text="Only events about these models; empty for any."
    )
    is_active = serializers.BooleanField(help_text="False once disabled after failing.")
    disabled_at = serializers.DateTimeField(allow_null=True, help_text="When it was disabled.")
    disabled_reason = serializers.CharField(help_text="Why it was disabled.")
    created_at = serializers.DateTimeField(help_text="When it was registered.")

    @extend_schema_field(ModelReferenceOutputSerializer(many=True))
    def get_models(self, subscription: WebhookSubscription) -> list[dict[str, Any]]:
        models = sorted(subscription.filter_models.all(), key=lambda m: m.slug)
        return [model_reference(model, self.context) for model in models]


class SubscriptionCreatedOutputSerializer(SubscriptionOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_…`): shown this once, never again."
    )


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The delivery's id (for redelivery).")
    event_id = serializers.SerializerMethodField(help_text="`webhook-id` header and body `id`.")
    event_type = serializers.ChoiceField(
        choices=WebhookEventType.choices, help_text="The event type sent."
    )
    state = serializers.ChoiceField(
        choices=WebhookDelivery.State.choices,
        help_text="`pending` (waiting for an attempt or a retry), `claimed` (being sent), "
        "`delivered` or `failed` (for good).",
    )
    attempts = serializers.IntegerField(help_text="Attempts made so far.")
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next attempt is due; null once finished."
    )
    finished_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was delivered or failed for good."
    )
    last_status = serializers.IntegerField(allow_null=True, help_text="HTTP status last seen.")
    last_error = serializers.CharField(help_text="The last attempt's error; empty if none.")
    response_excerpt = serializers.CharField(help_text="The answer's start, capped.")
    created_at = serializers.DateTimeField(help_text="When the delivery was created.")

    def get_event_id(self, delivery: WebhookDelivery) -> str:
        return f"evt_{delivery.event_id}"


def subscription_fields(validated: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": validated["url"],
        "event_types": validated["event_types"],
        "provider": validated.get("provider"),
        "models": validated.get("models", []),
        "description": validated["description"],
    }
